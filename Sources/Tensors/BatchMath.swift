import Foundation

/// The dense batch operations the cells and the model share: affine maps through BLAS and their
/// gradients, and the row/column shuffles around them. Matrices are row-major 2-D tensors.
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

    /// Gradient of `affine` w.r.t. its input: `dX = dY · Wᵀ` `// [B, N] × [N, K]`.
    public static func inputGradient(outputGradient dY: Tensor, weight: Tensor) -> Tensor {
        let rows = dY.shape[0], n = dY.shape[1], k = weight.shape[0]
        var out = [Float](repeating: 0, count: rows * k)
        if rows > 0 {
            dY.data.withUnsafeBufferPointer { d in
                weight.data.withUnsafeBufferPointer { w in
                    out.withUnsafeMutableBufferPointer { o in
                        BLAS.gemm(transB: true, m: rows, n: k, k: n, a: d.baseAddress!, lda: n,
                                  b: w.baseAddress!, ldb: n, c: o.baseAddress!, ldc: k)
                    }
                }
            }
        }
        return Tensor(shape: [rows, k], data: out)
    }

    /// `sums[c] += Σ_r m[r, c]` for a `[rows, columns]` matrix, row by row so the reads stream.
    public static func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int,
                              into sums: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = m + r * columns
            for c in 0..<columns { sums[c] += row[c] }
        }
    }

    /// `x ⊙= mask` element-wise (dropout).
    public static func multiply(_ x: inout Tensor, by mask: [Float]) {
        precondition(mask.count == x.count, "mask of \(mask.count) for \(x.count) values")
        x.data.withUnsafeMutableBufferPointer { v in
            mask.withUnsafeBufferPointer { m in
                for k in 0..<v.count { v[k] *= m[k] }
            }
        }
    }

    /// `target[offset + k] = source[k] · mask[k]` (or without the mask) for every k of `source`.
    public static func copy(_ source: [Float], mask: [Float]?, into target: inout [Float], at offset: Int) {
        precondition(offset + source.count <= target.count && (mask == nil || mask!.count == source.count))
        target.withUnsafeMutableBufferPointer { t in
            source.withUnsafeBufferPointer { s in
                let out = t.baseAddress! + offset
                if let mask {
                    mask.withUnsafeBufferPointer { m in for k in 0..<s.count { out[k] = s[k] * m[k] } }
                } else {
                    for k in 0..<s.count { out[k] = s[k] }
                }
            }
        }
    }

    /// `target[k] += source[offset + k] · mask[k]` (or without the mask) for every k of `target`.
    public static func add(_ source: [Float], from offset: Int, mask: [Float]?, into target: inout [Float]) {
        precondition(offset + target.count <= source.count && (mask == nil || mask!.count == target.count))
        target.withUnsafeMutableBufferPointer { t in
            source.withUnsafeBufferPointer { s in
                let input = s.baseAddress! + offset
                if let mask {
                    mask.withUnsafeBufferPointer { m in for k in 0..<t.count { t[k] += input[k] * m[k] } }
                } else {
                    for k in 0..<t.count { t[k] += input[k] }
                }
            }
        }
    }

    /// `table[rows[i]] += x[i]` for each row i of `x` `// [n, E]` into `table` `// [V, E]`: the
    /// embedding gradient (a word read twice gets both rows).
    public static func scatterAddRows(_ x: Tensor, rows: [Int], into table: inout Tensor) {
        let width = x.shape[1]
        precondition(rows.count == x.shape[0] && table.shape[1] == width)
        table.data.withUnsafeMutableBufferPointer { t in
            x.data.withUnsafeBufferPointer { s in
                for (i, row) in rows.enumerated() {
                    let target = t.baseAddress! + row * width, source = s.baseAddress! + i * width
                    for j in 0..<width { target[j] += source[j] }
                }
            }
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
