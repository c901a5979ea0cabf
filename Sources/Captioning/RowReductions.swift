import Tensors

/// Reductions over one row of logits, for the mixture of a fused ensemble, eight lanes at a time.
enum RowReductions {
    /// max x over `count` values (−∞ for none).
    static func max(_ x: UnsafePointer<Float>, count: Int) -> Float {
        count == 0 ? -.infinity : RowKernels.maximum(x, count: count)
    }

    /// Σ exp(x − shift) over `count` values.
    static func sumOfExponentials(_ x: UnsafePointer<Float>, count: Int, minus shift: Float) -> Float {
        var sums = SIMD8<Float>()
        for j in stride(from: 0, to: count, by: 8) {
            let lanes = Swift.min(8, count - j)
            var e = RowKernels.exp(RowKernels.load(x + j, count: lanes) - shift)
            for k in lanes..<8 { e[k] = 0 }
            sums += e
        }
        return sums.sum()
    }

    /// target[j] += exp(x[j] − shift) over `count` values.
    static func addExponentials(_ x: UnsafePointer<Float>, count: Int, minus shift: Float, to target: UnsafeMutablePointer<Float>) {
        for j in stride(from: 0, to: count, by: 8) {
            let lanes = Swift.min(8, count - j)
            let sum = RowKernels.load(target + j, count: lanes) + RowKernels.exp(RowKernels.load(x + j, count: lanes) - shift)
            RowKernels.store(sum, target + j, count: lanes)
        }
    }

    /// x[j] = ln(x[j] · scale) over `count` values.
    static func logarithm(_ x: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        for j in stride(from: 0, to: count, by: 8) {
            let lanes = Swift.min(8, count - j)
            // Unused lanes read as 0; their log (−∞) is never stored.
            RowKernels.store(RowKernels.log(RowKernels.load(x + j, count: lanes) * scale), x + j, count: lanes)
        }
    }
}
