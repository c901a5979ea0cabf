import Tensors

extension CaptionModel {
    /// Mean softmax cross-entropy of a minibatch under teacher forcing, and its gradient w.r.t.
    /// every parameter (backpropagation through time, by hand):
    ///
    ///     loss = −(1/N) Σ_b Σ_{k=1}^{L_b+1} log p(y_{b,k} | y_{b,<k}, image_b)     N = Σ_b (L_b + 1)
    ///
    /// where y_b = w₁…w_{L_b} `<end>`. Padding never enters: captions are run longest first and
    /// a caption leaves the batch after its last step.
    ///
    /// - Parameters:
    ///   - features: image vectors `// [B, F]`; nil (ignored) when `config.textOnly`.
    ///   - captions: B captions as word ids, without `<start>` (ids 2..<V; `<unk>` is a word to
    ///     train on). A caption ends at its first `<end>` (0) if it has one, so rows of a padded
    ///     `[B, T]` array padded with 0 can be passed as they are; `<end>` is scored after the
    ///     last word either way. May be empty: the model then learns to say `<end>` at once.
    ///   - rng: draws one dropout seed per caption, in batch order, when training with dropout.
    ///   - training: applies dropout (config.dropout) when true; false gives the exact loss.
    ///   - workers: the batch is dealt, longest first, round-robin to this many groups run in
    ///     parallel; each group accumulates its own gradients, summed at the end.
    /// - Returns: the mean loss, gradients by parameter name (same names and shapes as
    ///   `parameters`), and N, the number of scored tokens.
    public func loss(features: Tensor?, captions: [[Int]], rng: inout SplitMix64, training: Bool,
                     workers: Int = Parallel.workers) -> (loss: Float, gradients: [String: Tensor], tokens: Int) {
        let dropout = training ? config.dropout : 0
        let seeds: [UInt64] = dropout > 0 ? captions.map { _ in rng.next() } : []
        let (lossSum, tokens, gradients) = run(features: features, captions: captions, seeds: seeds,
                                               dropout: dropout, backward: true, workers: workers)
        return (Float(lossSum / Double(tokens)), gradients, tokens)
    }

    /// The REINFORCE gradient of self-critical training: over B sampled captions y_b, each with
    /// its advantage A_b = reward − baseline,
    ///
    ///     ∇L = −(1/B) Σ_b A_b Σ_{k=1}^{L_b+1} ∇ log p(y_{b,k} | y_{b,<k}, image_b)
    ///
    /// the teacher-forcing gradient of −log p with each caption's tokens weighted by A_b / B
    /// instead of 1 / N. No dropout (the gradient is of the policy that drew the samples) and no attention
    /// penalty (the reward alone is followed).
    ///
    /// - Parameters:
    ///   - features: image vectors `// [B, F]`, one row per caption (repeat an image's row for
    ///     each of its samples).
    ///   - captions: the B sampled captions as word ids, without `<start>` or `<end>`.
    ///   - advantages: A_b per caption; all 0 gives all-zero gradients.
    /// - Returns: gradients by parameter name, and −(1/B) Σ_b Σ_k log p(y_{b,k}), the samples' mean
    ///   negative log-likelihood.
    public func policyGradient(features: Tensor?, captions: [[Int]], advantages: [Float],
                               workers: Int = Parallel.workers) -> (gradients: [String: Tensor], negativeLogLikelihood: Float) {
        precondition(advantages.count == captions.count, "one advantage per caption")
        let scales = advantages.map { $0 / Float(captions.count) }
        let (lossSum, _, gradients) = run(features: features, captions: captions, seeds: [], dropout: 0, backward: true,
                                          workers: workers, scales: scales)
        return (gradients, Float(lossSum / Double(captions.count)))
    }

    /// Mean cross-entropy without dropout or gradients (validation, perplexity = e^loss).
    public func loss(features: Tensor?, captions: [[Int]],
                     workers: Int = Parallel.workers) -> (loss: Float, tokens: Int) {
        let (lossSum, tokens, _) = run(features: features, captions: captions, seeds: [],
                                       dropout: 0, backward: false, workers: workers)
        return (Float(lossSum / Double(tokens)), tokens)
    }

    /// `scales` are `TeacherForcing.gradientScales`; nil for the mean loss (1 / N each, with the
    /// attention penalty).
    private func run(features: Tensor?, captions paddedCaptions: [[Int]], seeds: [UInt64], dropout: Float,
                     backward: Bool, workers: Int, scales: [Float]? = nil) -> (Double, Int, [String: Tensor]) {
        let captions: [[Int]] = paddedCaptions.map { Array($0.prefix { $0 != Self.endToken }) }
        let batch = captions.count
        precondition(batch > 0, "empty minibatch")
        if !config.textOnly {
            precondition(features?.shape == [batch, config.imageInputSize],
                         "features must be [\(batch), \(config.imageInputSize)], got \(features?.shape ?? [])")
        }
        captions.forEach(validateWords)
        let tokens: Int = captions.reduce(0) { $0 + $1.count + 1 }
        let lengths: [Int] = captions.map(\.count)
        let order: [Int] = (0..<batch).sorted { (a: Int, b: Int) -> Bool in
            if lengths[a] != lengths[b] { return lengths[a] > lengths[b] }
            return a < b
        }
        let groupCount = max(1, min(workers, batch))
        let cell = self.cell
        let meanLoss = scales == nil
        let gradientScales = scales ?? Array(repeating: 1 / Float(tokens), count: batch)
        let groupFeatures: Tensor? = config.textOnly ? nil : features
        let groupRows: [[Int]] = (0..<groupCount).map { g in stride(from: g, to: batch, by: groupCount).map { order[$0] } }
        func run(group rows: [Int]) -> TeacherForcing.Result {
            if config.decoder == .attention {
                return AttentionTeacherForcing(model: self, rows: rows, captions: captions, features: features!, seeds: seeds,
                                               dropout: dropout, gradientScales: gradientScales,
                                               penaltyScale: meanLoss ? 1 / Float(tokens) : 0).run(backward: backward)
            }
            return TeacherForcing(model: self, cell: cell, rows: rows, captions: captions, features: groupFeatures,
                                  seeds: seeds, dropout: dropout, gradientScales: gradientScales).run(backward: backward)
        }

        var results = [TeacherForcing.Result](repeating: .init(lossSum: 0, gradients: [:]), count: groupCount)
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(groupCount) { g in out[g] = run(group: groupRows[g]) }
        }

        var lossSum: Double = 0
        // Taken out of `results` so the sums below write in place instead of copying every tensor.
        var gradients = results[0].gradients
        results[0].gradients = [:]
        for (g, result) in results.enumerated() {
            lossSum += result.lossSum
            guard g > 0 else { continue }
            for (name, tensor) in result.gradients {
                gradients[name]!.data.withUnsafeMutableBufferPointer { sum in
                    tensor.data.withUnsafeBufferPointer { part in
                        // One chunk per core for the large tensors: ~5 million values a step.
                        let chunks = part.count < 1 << 15 ? 1 : Parallel.workers
                        let size = (part.count + chunks - 1) / chunks
                        Parallel.forEach(chunks) { c in
                            let first = c * size, count = min(part.count, first + size) - first
                            if count > 0 { RowKernels.add(part.baseAddress! + first, to: sum.baseAddress! + first, count: count) }
                        }
                    }
                }
            }
        }
        return (lossSum, tokens, gradients)
    }
}
