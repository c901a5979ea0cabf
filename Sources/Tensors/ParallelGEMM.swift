
/// One `BLAS.gemm` split by rows of C across `Parallel.workers`: OpenBLAS runs single-threaded
/// in this project, so a large product only uses both cores when we split it ourselves.
///
///     C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C      (row-major, as `BLAS.gemm`)
///
/// Each worker computes a band of C's rows from the matching rows of op(A), which are rows of A
/// when A is not transposed and columns of A when it is.
public enum ParallelGEMM {
    /// Fewer rows than this per worker and the split costs more than it saves.
    public static let minimumRowsPerWorker = 32

    public static func run(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                    workers: Int = Parallel.workers) {
        guard m > 0, n > 0 else { return }
        let bands = max(1, min(workers, m / minimumRowsPerWorker))
        // Bands are multiples of 8 rows so every worker's slice of C starts on a 32-byte boundary.
        let rowsPerBand = ((m + bands - 1) / bands + 7) / 8 * 8
        Parallel.forEach(bands) { band in
            let first = band * rowsPerBand
            let rows = min(m, first + rowsPerBand) - first
            guard rows > 0 else { return }
            BLAS.gemm(transA: transA, transB: transB, m: rows, n: n, k: k, alpha: alpha,
                      a: transA ? a + first : a + first * lda, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: c + first * ldc, ldc: ldc)
        }
    }
}
