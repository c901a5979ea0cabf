import Tensors

extension CaptionModel {
    /// The state after the image step, t = 0: the cell has read x₀ = v · W_I + b_I from a zero
    /// state. That step's output predicts nothing (as in training); the first word is predicted
    /// by the next call, `step(state, tokens: [<start>, …])`. With `config.textOnly` the state is
    /// simply zero.
    ///
    /// - Parameter feature: one image vector `// [F]` (one row), a batch `// [B, F]` (B rows),
    ///   or nil when text-only (one row).
    public func initialState(feature: Tensor?) -> RecurrentState {
        let cell = self.cell
        guard !config.textOnly else { return cell.zeroState(batch: 1) }
        guard let feature else { preconditionFailure("an image-conditioned model needs a feature vector") }
        let f = config.featureSize
        let batch = feature.shape == [f] ? feature.reshaped([1, f]) : feature
        precondition(batch.shape.count == 2 && batch.shape[1] == f,
                     "feature must be [\(f)] or [B, \(f)], got \(feature.shape)")
        let x = BatchMath.affine(batch, parameters[Self.imageProjectionWeightName]!,
                                 parameters[Self.imageProjectionBiasName]!)
        return cell.forward(x, state: cell.zeroState(batch: batch.shape[0])).state
    }

    /// One decoding step for B rows at once (B = beams): reads `tokens[b]` into row b and returns
    /// the next state and log p(next token) `// [B, V]`. One gate GEMM `[B, E+H] × [E+H, G·H]`
    /// and one output GEMM `[B, H] × [H, V]` per call; no dropout.
    public func step(_ state: RecurrentState, tokens: [Int]) -> (state: RecurrentState, logProbs: Tensor) {
        precondition(tokens.count == state.batchSize, "\(tokens.count) tokens for \(state.batchSize) state rows")
        precondition(tokens.allSatisfy { $0 >= 0 && $0 < config.vocabularySize }, "token id out of range")
        let x = parameters[Self.embedName]!.selectingRows(tokens)
        let next = cell.forward(x, state: state).state
        let logits = BatchMath.affine(next.hidden, parameters[Self.logitsWeightName]!,
                                      parameters[Self.logitsBiasName]!)
        return (next, logits.logSoftmax())
    }

    /// log p of each token of `words` given the image, and of `<end>` after them when `finished`:
    /// `words.count + 1` values (or `words.count`), the same per-token values the decoders report.
    public func logProbabilities(of words: [Int], feature: Tensor?, finished: Bool = true) -> [Float] {
        var (state, logProbs) = step(initialState(feature: feature), tokens: [Self.startToken])
        var result: [Float] = []
        let targets = finished ? words + [Self.endToken] : words
        for (k, token) in targets.enumerated() {
            result.append(logProbs.data[token])
            // Only a word is ever read back: `<end>`, when present, is the last target.
            if k + 1 < targets.count { (state, logProbs) = step(state, tokens: [token]) }
        }
        return result
    }

    /// Σ `logProbabilities(of:feature:finished:)`, summed in order as the decoders sum.
    public func logProbability(of words: [Int], feature: Tensor?, finished: Bool = true) -> Float {
        logProbabilities(of: words, feature: feature, finished: finished).reduce(0, +)
    }
}
