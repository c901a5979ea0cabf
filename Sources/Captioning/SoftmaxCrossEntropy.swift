import Foundation
import Tensors

/// Softmax cross-entropy over rows of logits, with its gradient written in place.
///
/// For a row z `// [V]` with target y:
///
///     loss = log Σ_j e^{z_j} − z_y                  (shifted by max z so e^· never overflows)
///     dloss/dz_j = softmax(z)_j − [j = y]
///
/// Each e^{z_j − max} is computed once (eight at a time, `RowKernels.exp`) and kept in the row,
/// so the gradient costs no second pass of exponentials.
enum SoftmaxCrossEntropy {
    /// Σ over rows of −log softmax(z)[target], accumulated in Double. When `gradientScales` are
    /// given (one per row), row r of `logits` `// [rows, width]` is replaced by
    /// `gradientScales[r] · (softmax(z) − onehot(y))`.
    static func loss(_ logits: UnsafeMutablePointer<Float>, rows: Int, width: Int, targets: [Int],
                     gradientScales: [Float]?) -> Double {
        precondition(targets.count == rows, "\(targets.count) targets for \(rows) rows")
        precondition(gradientScales.map { $0.count == rows } ?? true, "one gradient scale per row")
        var total: Double = 0
        for r in 0..<rows {
            let row = logits + r * width, target = targets[r]
            let top = RowKernels.maximum(row, count: width)
            let targetLogit = row[target]
            let sum = RowKernels.exponentiate(row, count: width, shift: top)
            total += Double(top) + log(Double(sum)) - Double(targetLogit)
            guard let scale = gradientScales?[r] else { continue }
            RowKernels.scale(row, by: scale / sum, count: width)
            row[target] -= scale
        }
        return total
    }
}
