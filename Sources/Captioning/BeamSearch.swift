import Tensors

/// Beam search over a `CaptionModel` (or an ensemble), in im2txt's form: at each step every live beam proposes
/// its K most likely allowed tokens; a proposed `<end>` completes a caption, and the K best
/// proposed words (by total log-probability) become the next live beams. All live beams advance
/// together as the rows of one batched `CaptionModel.step`, so a step costs one gate GEMM
/// `[K, E+H] × [E+H, G·H]` and one output GEMM `[K, H] × [H, V]`.
///
///     beams₀ = {ε};   for t in 0..<maxLength:
///         proposals = ∪_{β ∈ beams} top_K { (β, w) : w allowed after β }
///         completed ∪= { β·<end> }           beams = top_K { β·w : w ≠ <end> }   by Σ log p
///
/// Rules (see `DecodingConstraints`): `<unk>` and `<start>` are never emitted, a caption has at
/// least one word, and optionally no n-gram repeats. `maxLength` counts emitted tokens, `<end>`
/// included (im2txt's `max_caption_length`): a beam with `maxLength` words and no `<end>` is
/// unfinished. Results are the completed captions, or, when none completed, the unfinished
/// beams, never an empty caption; duplicates merged, at most `nBest`, best `score` first.
/// With K = 1 this is exactly `Sampler.greedy`.
///
/// Without length normalization log-probabilities only fall as a caption grows, so the search
/// stops as soon as no live beam can beat the nBest-th completed caption; with it, it runs to
/// `maxLength`.
public struct BeamSearch: Sendable {
    /// K, live beams per step, 1…20.
    public var beamSize: Int
    /// N, captions returned at most.
    public var nBest: Int
    /// Most tokens emitted, `<end>` included.
    public var maxLength: Int
    /// α of `score = logProbability / length^α`; 0 (default) ranks by log-probability alone,
    /// which favours short captions; α ≈ 0.7 offsets that.
    public var lengthPenalty: Float
    /// Tokens the search may not emit, n-gram blocking.
    public var constraints: DecodingConstraints

    public init(beamSize: Int = 3, nBest: Int = 1, maxLength: Int = 20, lengthPenalty: Float = 0,
                noRepeatNgram: Int = 0) {
        precondition((1...20).contains(beamSize), "beam size must be in 1...20, got \(beamSize)")
        precondition(nBest >= 1 && maxLength >= 1, "nBest and maxLength must be positive")
        precondition(lengthPenalty >= 0, "length penalty α must be ≥ 0")
        self.beamSize = beamSize
        self.nBest = nBest
        self.maxLength = maxLength
        self.lengthPenalty = lengthPenalty
        self.constraints = DecodingConstraints(noRepeatNgram: noRepeatNgram)
    }

    private struct Beam {
        var words: [Int]
        var logProbabilities: [Float]
        var total: Float
    }

    private struct Proposal {
        var beam: Int
        var token: Int
        var logProbability: Float
        var total: Float
    }

    /// The n-best captions of one image (`feature` `// [F]`; nil for a text-only model).
    public func search(_ model: some StepwiseDecoder, feature: Tensor?) -> [DecodedCaption] {
        let v = model.vocabularySize
        var (state, logProbs) = model.step(model.initialState(feature: feature), tokens: [CaptionModel.startToken])
        var beams = [Beam(words: [], logProbabilities: [], total: 0)]
        var completed: [DecodedCaption] = []

        for position in 0..<maxLength {
            var proposals: [Proposal] = []
            for (b, beam) in beams.enumerated() {
                var row = Array(logProbs.data[(b * v)..<((b + 1) * v)])
                constraints.mask(&row, after: beam.words)
                for token in Self.topTokens(row, count: beamSize) {
                    let lp = row[token]
                    if token == CaptionModel.endToken {
                        completed.append(DecodedCaption(words: beam.words, tokenLogProbabilities: beam.logProbabilities + [lp],
                                                        finished: true, lengthPenalty: lengthPenalty))
                    } else {
                        proposals.append(Proposal(beam: b, token: token, logProbability: lp, total: beam.total + lp))
                    }
                }
            }
            proposals.sort { a, b in
                if a.total != b.total { return a.total > b.total }
                return a.beam != b.beam ? a.beam < b.beam : a.token < b.token
            }
            let kept = proposals.prefix(beamSize)
            beams = kept.map { p in
                Beam(words: beams[p.beam].words + [p.token],
                     logProbabilities: beams[p.beam].logProbabilities + [p.logProbability], total: p.total)
            }
            completed = Self.ranked(completed, limit: nBest)
            guard !beams.isEmpty, position + 1 < maxLength else { break }
            if lengthPenalty == 0, completed.count >= nBest, beams[0].total < completed[nBest - 1].logProbability {
                break
            }
            (state, logProbs) = model.step(state.selecting(rows: kept.map(\.beam)), tokens: kept.map(\.token))
        }

        if !completed.isEmpty { return completed }
        let unfinished = beams.map {
            DecodedCaption(words: $0.words, tokenLogProbabilities: $0.logProbabilities, finished: false,
                           lengthPenalty: lengthPenalty)
        }
        return Self.ranked(unfinished, limit: nBest)
    }

    /// The `count` tokens of highest log-probability that are allowed (finite), best first; ties
    /// go to the lower id, as `Sampler.greedy`'s argmax does.
    static func topTokens(_ row: [Float], count: Int) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(count + 1)
        for token in row.indices where row[token] > -.infinity {
            if best.count == count, row[token] <= row[best[count - 1]] { continue }
            var slot = best.count
            while slot > 0, row[best[slot - 1]] < row[token] { slot -= 1 }
            best.insert(token, at: slot)
            if best.count > count { best.removeLast() }
        }
        return best
    }

    /// Duplicates (same words) merged keeping the better, sorted best first, at most `limit`.
    static func ranked(_ captions: [DecodedCaption], limit: Int) -> [DecodedCaption] {
        var byWords: [[Int]: DecodedCaption] = [:]
        for caption in captions {
            if let seen = byWords[caption.words], !DecodedCaption.ranksBefore(caption, seen) { continue }
            byWords[caption.words] = caption
        }
        return Array(byWords.values.sorted(by: DecodedCaption.ranksBefore).prefix(limit))
    }
}
