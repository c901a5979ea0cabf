import Foundation
import Tensors

/// Single-path decoding: greedy (argmax at every step) or ancestral sampling with a temperature.
/// The same rules as `BeamSearch` apply (`DecodingConstraints`: no `<unk>` or `<start>`, at least
/// one word, optional n-gram blocking), and `maxLength` counts emitted tokens, `<end>` included:
/// a caption has at most `maxLength − 1` words, and one whose last token is not `<end>` is
/// returned unfinished.
public struct Sampler: Sendable {
    /// Most tokens emitted, `<end>` included.
    public var maxLength: Int
    public var constraints: DecodingConstraints

    public init(maxLength: Int = 20, noRepeatNgram: Int = 0) {
        precondition(maxLength >= 2, "maxLength counts <end>: at least 2 for a one-word caption")
        self.maxLength = maxLength
        self.constraints = DecodingConstraints(noRepeatNgram: noRepeatNgram)
    }

    /// The most likely allowed token at every step (ties to the lower id). Equals
    /// `BeamSearch(beamSize: 1)`'s single result.
    public func greedy(_ model: some StepwiseDecoder, feature: Tensor?) -> DecodedCaption {
        decode(model, feature: feature) { row in BeamSearch.topTokens(row, count: 1)[0] }
    }

    /// Draws each token from softmax(log p / temperature) over the allowed tokens: temperature
    /// 1 samples the model itself, below 1 sharpens towards greedy, above 1 flattens. Reported
    /// log-probabilities are the model's own (temperature 1), so they rescore like any caption's.
    public func sample(_ model: some StepwiseDecoder, feature: Tensor?, temperature: Float = 1,
                       rng: inout SplitMix64) -> DecodedCaption {
        precondition(temperature > 0 && temperature.isFinite, "temperature must be finite and positive (use greedy for 0)")
        return decode(model, feature: feature) { row in
            let top = row.max()!
            let weights = row.map { $0 > -.infinity ? Double(exp(($0 - top) / temperature)) : 0 }
            let total = weights.reduce(0, +)
            var u = rng.nextUnit() * total
            for token in weights.indices where weights[token] > 0 {
                u -= weights[token]
                if u < 0 { return token }
            }
            // Rounding left u ≥ 0 after the last allowed token: that token is the draw.
            return row.lastIndex { $0 > -.infinity }!
        }
    }

    /// Feeds `<start>`, then each chosen word, until `choose` picks `<end>` or the length runs out.
    private func decode(_ model: some StepwiseDecoder, feature: Tensor?, choose: ([Float]) -> Int) -> DecodedCaption {
        var (state, logProbs) = model.step(model.initialState(feature: feature), tokens: [CaptionModel.startToken])
        var words: [Int] = [], tokenLogProbabilities: [Float] = []
        for position in 0..<maxLength {
            var row = logProbs.data
            constraints.mask(&row, after: words)
            let token = choose(row)
            guard position + 1 < maxLength || token == CaptionModel.endToken else { break }
            tokenLogProbabilities.append(row[token])
            if token == CaptionModel.endToken {
                return DecodedCaption(words: words, tokenLogProbabilities: tokenLogProbabilities, finished: true)
            }
            words.append(token)
            (state, logProbs) = model.step(state, tokens: [token])
        }
        return DecodedCaption(words: words, tokenLogProbabilities: tokenLogProbabilities, finished: false)
    }
}
