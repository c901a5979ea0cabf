import Foundation

/// The dense batch operations the cells and the model share: affine maps through BLAS, their
/// weight gradients, and the scalar logistic and tanh. Matrices are row-major 2-D tensors.
public enum BatchMath {
    /// `x · W + b`: `x` `// [B, K]`, `W` `// [K, N]`, `b` `// [N]` → `[B, N]`.
    ///
    /// The bias is written into every row first and the GEMM adds onto it (beta = 1), so the
    /// bias costs one pass over the output instead of a second one after the multiply.
    public static func affine(_ x: Tensor, _ weight: Tensor, _ bias: Tensor) -> Tensor {
        let rows = x.shape[0], k = x.shape[1], n = weight.shape[1]
        precondition(weight.shape[0] == k && bias.count == n,
                     "affine: x \(x.shape), W \(weight.shape), b \(bias.shape) disagree")
        var out = [Float](repeating: 0, count: rows * n)
        out.withUnsafeMutableBufferPointer { o in
            bias.data.withUnsafeBufferPointer { b in
                for r in 0..<rows { (o.baseAddress! + r * n).update(from: b.baseAddress!, count: n) }
            }
            guard rows > 0, k > 0 else { return }
            x.data.withUnsafeBufferPointer { a in
                weight.data.withUnsafeBufferPointer { w in
                    BLAS.gemm(m: rows, n: n, k: k, a: a.baseAddress!, lda: k,
                              b: w.baseAddress!, ldb: n, beta: 1, c: o.baseAddress!, ldc: n)
                }
            }
        }
        return Tensor(shape: [rows, n], data: out)
    }

    /// Gradients of `affine` w.r.t. its parameters, added in place:
    /// `dW += xᵀ · dY` `// [K, B] × [B, N]` and `db += Σ_rows dY`.
    public static func accumulateAffineGradients(input x: Tensor, outputGradient dY: Tensor,
                                          weight dW: inout Tensor, bias db: inout Tensor) {
        let rows = x.shape[0], k = x.shape[1], n = dY.shape[1]
        precondition(dY.shape[0] == rows && dW.shape == [k, n] && db.count == n,
                     "affine gradients: x \(x.shape), dY \(dY.shape), dW \(dW.shape) disagree")
        guard rows > 0 else { return }
        x.data.withUnsafeBufferPointer { a in
            dY.data.withUnsafeBufferPointer { d in
                dW.data.withUnsafeMutableBufferPointer { w in
                    BLAS.gemm(transA: true, m: k, n: n, k: rows, a: a.baseAddress!, lda: k,
                              b: d.baseAddress!, ldb: n, beta: 1, c: w.baseAddress!, ldc: n)
                }
                db.data.withUnsafeMutableBufferPointer { b in
                    addColumnSums(d.baseAddress!, rows: rows, columns: n, into: b.baseAddress!)
                }
            }
        }
    }

    /// `sums[c] += Σ_r m[r, c]` for a `[rows, columns]` matrix, row by row so the reads stream.
    static func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int,
                              into sums: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = m + r * columns
            for c in 0..<columns { sums[c] += row[c] }
        }
    }

    /// The logistic function 1 / (1 + e^−x).
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh x as 1 − 2 / (e^{2x} + 1): glibc's `tanhf` goes through `expm1f` and costs several
    /// times `expf`, and the cells call it for every unit of every step. Near 0 the formula
    /// cancels, so |x| < 2⁻⁸ uses x − x³/3 (error < x⁵ < 1e-12). Saturates to ±1 without NaN.
    @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        if abs(x) < 0.00390625 { return x - x * x * x / 3 }
        return 1 - 2 / (exp(2 * x) + 1)
    }
}
