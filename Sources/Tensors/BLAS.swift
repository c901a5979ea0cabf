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

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major.
    ///
    /// `op(A)` is m×k: A is stored m×k (`transA == false`, lda ≥ k) or k×m (`transA == true`, lda ≥ m).
    /// `op(B)` is k×n: B is stored k×n (`transB == false`, ldb ≥ n) or n×k (`transB == true`, ldb ≥ k).
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
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
