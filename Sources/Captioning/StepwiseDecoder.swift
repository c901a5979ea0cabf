import Tensors

/// What beam search and sampling need from a captioner: a start state from the image, then one
/// step at a time, the next word's log-probabilities for every row (beam) of the state. A single
/// ``CaptionModel`` is one; a ``CaptionEnsemble`` of several is another.
public protocol StepwiseDecoder: Sendable {
    /// V: the number of word ids the log-probabilities cover.
    var vocabularySize: Int { get }

    /// The state after reading the image (one row per feature row; see `CaptionModel`).
    func initialState(feature: Tensor?) -> RecurrentState

    /// Reads `tokens[b]` into row b; returns the next state and log p(next token) `// [B, V]`.
    func step(_ state: RecurrentState, tokens: [Int]) -> (state: RecurrentState, logProbs: Tensor)

    /// This decoder for a caller that runs `shares` searches at once, one per core: a decoder
    /// that splits each step over the cores splits it less (nested splitting only waits on
    /// cores that are busy already). The same results either way.
    func sharingCores(_ shares: Int) -> Self
}

extension StepwiseDecoder {
    public func sharingCores(_ shares: Int) -> Self { self }
}

extension CaptionModel: StepwiseDecoder {
    public var vocabularySize: Int { config.vocabularySize }
}

extension StepwiseDecoder {
    /// log p of each token of `words` given the image, and of `<end>` after them when `finished`:
    /// `words.count + 1` values (or `words.count`), the same per-token values the decoders report.
    public func logProbabilities(of words: [Int], feature: Tensor?, finished: Bool = true) -> [Float] {
        var (state, logProbs) = step(initialState(feature: feature), tokens: [CaptionModel.startToken])
        var result: [Float] = []
        let targets = finished ? words + [CaptionModel.endToken] : words
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
