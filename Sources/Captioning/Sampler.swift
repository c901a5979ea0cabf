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
        greedy(model, features: [feature])[0]
    }

    /// Greedy captions of several images, decoded together: one batched step per position.
    public func greedy(_ model: some StepwiseDecoder, features: [Tensor?]) -> [DecodedCaption] {
        decode(model, features: features, copies: 1) { _, row in BeamSearch.topTokens(row, count: 1)[0] }
    }

    /// Draws each token from softmax(log p / temperature) over the allowed tokens: temperature
    /// 1 samples the model itself, below 1 sharpens towards greedy, above 1 flattens. Reported
    /// log-probabilities are the model's own (temperature 1), so they rescore like any caption's.
    public func sample(_ model: some StepwiseDecoder, feature: Tensor?, temperature: Float = 1,
                       rng: inout SplitMix64) -> DecodedCaption {
        sample(model, features: [feature], count: 1, temperature: temperature, rng: &rng)[0][0]
    }

    /// `count` sampled captions of every image of `features`, all rows decoded together (one
    /// batched step per position, as self-critical training draws them). `rng` draws the tokens
    /// row by row in image-major order at each position, so the result depends on the seed and
    /// the inputs alone.
    public func sample(_ model: some StepwiseDecoder, features: [Tensor?], count: Int, temperature: Float = 1,
                       rng: inout SplitMix64) -> [[DecodedCaption]] {
        precondition(temperature > 0 && temperature.isFinite, "temperature must be finite and positive (use greedy for 0)")
        precondition(count >= 1, "at least one caption per image")
        var weights = [Float](repeating: 0, count: model.vocabularySize)
        let captions = decode(model, features: features, copies: count) { _, row in
            // softmax(row / temperature), unnormalized: e^((z − max z) / T). Masked tokens (−∞)
            // come out as e^−87 ≈ 1e−38 and are skipped below.
            let top = RowKernels.maximum(row, count: row.count)
            weights.withUnsafeMutableBufferPointer { w in
                row.withUnsafeBufferPointer { w.baseAddress!.update(from: $0.baseAddress!, count: row.count) }
                RowKernels.scale(w.baseAddress!, by: 1 / temperature, count: row.count)
            }
            let total = RowKernels.exponentiate(&weights, count: row.count, shift: top / temperature)
            var u = Float(rng.nextUnit()) * total
            for token in row.indices where row[token] > -.infinity {
                u -= weights[token]
                if u < 0 { return token }
            }
            // Rounding left u ≥ 0 after the last allowed token: that token is the draw.
            return row.lastIndex { $0 > -.infinity }!
        }
        return stride(from: 0, to: captions.count, by: count).map { Array(captions[$0..<($0 + count)]) }
    }

    /// Feeds `<start>`, then each row's chosen word, until it picks `<end>` or the length runs
    /// out. Row `i · copies + c` is image i's c-th caption; the rows still running are stepped
    /// together. `choose(row, logProbs)` picks a row's next token from its masked log-probabilities.
    private func decode(_ model: some StepwiseDecoder, features: [Tensor?], copies: Int,
                        choose: (Int, [Float]) -> Int) -> [DecodedCaption] {
        guard !features.isEmpty else { return [] }
        let vectors = features.compactMap { $0 }
        let images = vectors.count == features.count
            ? model.initialState(feature: Tensor.stackingRows(vectors))
            : model.initialState(feature: nil).selecting(rows: Array(repeating: 0, count: features.count))
        let rowCount = features.count * copies
        var state = images.selecting(rows: (0..<rowCount).map { $0 / copies })
        var logProbs: Tensor
        (state, logProbs) = model.step(state, tokens: Array(repeating: CaptionModel.startToken, count: rowCount))
        let v = model.vocabularySize
        var words = [[Int]](repeating: [], count: rowCount)
        var tokenLogProbabilities = [[Float]](repeating: [], count: rowCount)
        var finished = [Bool](repeating: false, count: rowCount)
        var running = Array(0..<rowCount)   // state row k is caption running[k]
        for position in 0..<maxLength {
            var kept: [Int] = [], tokens: [Int] = []
            for (k, caption) in running.enumerated() {
                var row = Array(logProbs.data[(k * v)..<((k + 1) * v)])
                constraints.mask(&row, after: words[caption])
                let token = choose(caption, row)
                guard position + 1 < maxLength || token == CaptionModel.endToken else { continue }
                tokenLogProbabilities[caption].append(row[token])
                if token == CaptionModel.endToken {
                    finished[caption] = true
                } else {
                    words[caption].append(token)
                    kept.append(k)
                    tokens.append(token)
                }
            }
            if kept.isEmpty || position + 1 == maxLength { break }
            (state, logProbs) = model.step(kept.count == running.count ? state : state.selecting(rows: kept), tokens: tokens)
            running = kept.map { running[$0] }
        }
        return (0..<rowCount).map {
            DecodedCaption(words: words[$0], tokenLogProbabilities: tokenLogProbabilities[$0], finished: finished[$0])
        }
    }
}
