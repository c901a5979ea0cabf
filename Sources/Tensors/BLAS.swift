import COpenBLAS

/// The one place that calls BLAS. Everything else uses `Tensor` operations or these wrappers.
///
/// OpenBLAS runs single-threaded here: the project parallelizes over independent work itself
/// (image tiles, images of a batch, minibatch rows, see `Parallel`), which keeps both cores busy
/// during the memory-bound steps around each multiply as well, and avoids two thread pools
/// fighting over two cores.
public enum BLAS {
    /// Makes OpenBLAS single-threaded. Idempotent; called by every entry point below.
    @inline(__always)
    static func configure() { _ = configured }

    private static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Fewer rows of C than this per worker and splitting a product costs more than it saves.
    static let minimumRowsPerWorker = 32

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major.
    ///
    /// `op(A)` is m×k: A is stored m×k (`transA == false`, lda ≥ k) or k×m (`transA == true`, lda ≥ m).
    /// `op(B)` is k×n: B is stored k×n (`transB == false`, ldb ≥ n) or n×k (`transB == true`, ldb ≥ k).
    ///
    /// With `workers` > 1 a large product is split by bands of C's rows across that many
    /// workers (OpenBLAS runs single-threaded here, so a big product uses both cores only when
    /// it is split): each band is computed from the matching rows of op(A), which are rows of A
    /// when A is not transposed and columns of A when it is.
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        workers: Int = 1
    ) {
        let bands = max(1, min(workers, m / minimumRowsPerWorker))
        if bands > 1 {
            // Bands are multiples of 8 rows so every worker's slice of C starts on a 32-byte boundary.
            let rowsPerBand = ((m + bands - 1) / bands + 7) / 8 * 8
            Parallel.forEach(bands) { band in
                let first = band * rowsPerBand
                let rows = min(m, first + rowsPerBand) - first
                guard rows > 0 else { return }
                gemm(transA: transA, transB: transB, m: rows, n: n, k: k, alpha: alpha,
                     a: transA ? a + first : a + first * lda, lda: lda, b: b, ldb: ldb,
                     beta: beta, c: c + first * ldc, ldc: ldc)
            }
            return
        }
        guard m > 0, n > 0 else { return }
        configure()
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y with A stored row-major m×n.
    public static func gemv(
        trans: Bool = false, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        configure()
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
}
