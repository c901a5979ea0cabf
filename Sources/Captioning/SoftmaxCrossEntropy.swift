import Foundation
import Tensors

/// Softmax cross-entropy over rows of logits, with its gradient written in place.
///
/// For a row z `// [V]` with target y:
///
///     loss = log Σ_j e^{z_j} − z_y                  (shifted by max z so e^· never overflows)
///     dloss/dz_j = softmax(z)_j − [j = y]
///
/// Each e^{z_j − max} is computed once and kept in the row, so the gradient costs no second pass
/// of exponentials.
enum SoftmaxCrossEntropy {
    /// Σ over rows of −log softmax(z)[target], accumulated in Double. When `gradientScale` is
    /// given, each row of `logits` `// [N, V]` is replaced by `gradientScale · (softmax(z) − onehot(y))`.
    static func loss(_ logits: inout Tensor, targets: [Int], gradientScale: Float?) -> Double {
        let rows = logits.shape[0], width = logits.shape[1]
        precondition(targets.count == rows, "\(targets.count) targets for \(rows) rows")
        var total: Double = 0
        logits.data.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<rows {
                let row = buffer.baseAddress! + r * width, target = targets[r]
                var top = row[0]
                for j in 1..<width { top = max(top, row[j]) }
                let targetLogit = row[target]
                var sum: Float = 0
                for j in 0..<width {
                    let e = exp(row[j] - top)
                    row[j] = e
                    sum += e
                }
                total += Double(top) + log(Double(sum)) - Double(targetLogit)
                guard let scale = gradientScale else { continue }
                let factor = scale / sum
                for j in 0..<width { row[j] *= factor }
                row[target] -= scale
            }
        }
        return total
    }
}
