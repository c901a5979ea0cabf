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
        let f = config.imageInputSize
        let batch = feature.shape == [f] ? feature.reshaped([1, f]) : feature
        precondition(batch.shape.count == 2 && batch.shape[1] == f,
                     "feature must be [\(f)] or [B, \(f)], got \(feature.shape)")
        if config.decoder == .attention { return attentionInitialState(images: batch) }
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
        if config.decoder == .attention {
            let next = attentionStep(state, tokens: tokens)
            return (next.state, next.logProbs)
        }
        let x = parameters[Self.embedName]!.selectingRows(tokens)
        let next = cell.forward(x, state: state).state
        let logits = BatchMath.affine(next.hidden, parameters[Self.logitsWeightName]!,
                                      parameters[Self.logitsBiasName]!)
        return (next, logits.logSoftmax())
    }
}
