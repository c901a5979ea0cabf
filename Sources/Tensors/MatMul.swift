/// Matrix products of 2-D tensors through BLAS.
extension Tensor {
    /// `self [m, k] × other [k, n]` → `[m, n]`; either side may be used transposed.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(shape.count == 2 && other.shape.count == 2, "matmul expects 2-D tensors")
        let m = transposeSelf ? shape[1] : shape[0]
        let k = transposeSelf ? shape[0] : shape[1]
        let otherK = transposeOther ? other.shape[1] : other.shape[0]
        let n = transposeOther ? other.shape[0] : other.shape[1]
        precondition(k == otherK, "matmul: inner dimensions differ: \(shape) × \(other.shape)")
        var out = [Float](repeating: 0, count: m * n)
        data.withUnsafeBufferPointer { a in
            other.data.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    BLAS.gemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                              a: a.baseAddress!, lda: shape[1], b: b.baseAddress!, ldb: other.shape[1],
                              c: c.baseAddress!, ldc: n)
                }
            }
        }
        return Tensor(shape: [m, n], data: out)
    }
}
