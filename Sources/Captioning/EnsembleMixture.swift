import Foundation
import Tensors

/// The output layer of a packed ensemble (``FusedCaptionEnsemble``, ``FusedAttentionEnsemble``)
/// and the mixture of its members:
///
///     z_m = y_m · W_o,m + b_o,m                         // [B, K] × [K, V] → [B, V], per member
///     log p = z − max z − log Σ exp(z − max z)          // one member: log softmax
///     log p = log (1/M) Σ_m exp(z_m − max z_m − log Σ exp(z_m − max z_m))    // M members
///
/// The `workers` split the vocabulary: each computes its columns of every member's logits with
/// their partial max and Σ exp (merged as max = maxₛ max_s, Σ = Σₛ Σ_s · e^{max_s − max}), then,
/// once those are known, its columns of the mixture.
enum EnsembleMixture {
    /// One member's output layer: W_o `// [K, V]` and b_o zero-padded `// [W_o.paddedColumns]`.
    struct Layer: Sendable {
        var weight: PanelMatrix
        var bias: [Float]

        init(weight: Tensor, bias: Tensor) {
            self.weight = PanelMatrix(weight)
            self.bias = bias.data + [Float](repeating: 0, count: self.weight.paddedColumns - bias.count)
        }
    }

    /// log p `// [B, V]` from each member's output-layer input y_m, side by side in `inputs`
    /// `// [B, M·K]` (member m in columns m·K..<(m+1)·K).
    static func logProbabilities(_ inputs: Tensor, layers: [Layer], vocabularySize v: Int, workers: Int) -> Tensor {
        let rows = inputs.shape[0], m = layers.count, h = inputs.shape[1] / m, padded = layers[0].weight.paddedColumns
        let panels = layers[0].weight.panels, shares = min(workers, panels)
        var logits = [Float](repeating: 0, count: m * rows * padded)   // [M][B, V padded]
        for member in 0..<m {
            for r in 0..<rows {
                let offset = (member * rows + r) * padded
                logits.replaceSubrange(offset..<(offset + padded), with: layers[member].bias)
            }
        }
        // Per share, member and row: the max and Σ exp(z − max) over the share's columns.
        var partialMax = [Float](repeating: -.infinity, count: shares * m * rows)
        var partialSum = [Float](repeating: 0, count: shares * m * rows)
        func panelRange(_ share: Int) -> Range<Int> { Parallel.share(share, of: shares, panels) }
        func columnRange(_ share: Int) -> Range<Int> {
            let mine = panelRange(share)
            return min(v, mine.lowerBound * PanelMatrix.width)..<min(v, mine.upperBound * PanelMatrix.width)
        }
        inputs.data.withUnsafeBufferPointer { hidden in
        logits.withUnsafeMutableBufferPointer { z in
        partialMax.withUnsafeMutableBufferPointer { maxima in
        partialSum.withUnsafeMutableBufferPointer { sums in
            Parallel.forEach(shares) { share in
                let columns = columnRange(share)
                for member in 0..<m {
                    let out = z.baseAddress! + member * rows * padded
                    layers[member].weight.multiply(hidden.baseAddress! + member * h, lda: m * h, m: rows, kRange: 0..<h,
                                                    panels: panelRange(share), into: out, ldc: padded)
                    for r in 0..<rows where !columns.isEmpty {
                        let row = out + r * padded
                        let top = RowReductions.max(row + columns.lowerBound, count: columns.count)
                        let slot = (share * m + member) * rows + r
                        maxima[slot] = top
                        sums[slot] = RowReductions.sumOfExponentials(row + columns.lowerBound, count: columns.count, minus: top)
                    }
                }
            }
        }}}}
        // Merge the shares: the max and the log Σ exp of each member's row.
        var maximum = [Float](repeating: -.infinity, count: m * rows), logSum = [Float](repeating: 0, count: m * rows)
        for slot in 0..<(m * rows) {
            for share in 0..<shares { maximum[slot] = max(maximum[slot], partialMax[share * m * rows + slot]) }
            var sum: Float = 0
            for share in 0..<shares where partialSum[share * m * rows + slot] > 0 {
                sum += partialSum[share * m * rows + slot] * exp(partialMax[share * m * rows + slot] - maximum[slot])
            }
            logSum[slot] = log(sum)
        }
        var result = [Float](repeating: 0, count: rows * v)
        logits.withUnsafeBufferPointer { z in
        result.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(shares) { share in
                let columns = columnRange(share)
                for r in 0..<rows {
                    let target = out.baseAddress! + r * v
                    if m == 1 {
                        let row = z.baseAddress! + r * padded
                        for j in columns { target[j] = (row[j] - maximum[r]) - logSum[r] }
                        continue
                    }
                    for j in columns { target[j] = 0 }
                    for member in 0..<m {
                        let row = z.baseAddress! + (member * rows + r) * padded
                        let (top, normalizer) = (maximum[member * rows + r], logSum[member * rows + r])
                        RowReductions.addExponentials(row + columns.lowerBound, count: columns.count, minus: top + normalizer,
                                                      to: target + columns.lowerBound)
                    }
                    RowReductions.logarithm(target + columns.lowerBound, count: columns.count, scale: 1 / Float(m))
                }
            }
        }}
        return Tensor(shape: [rows, v], data: result)
    }
}
