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
/// included (im2txt's `max_caption_length`), so a caption has at most `maxLength − 1` words: at
/// the last step only `<end>` may be emitted, and a beam that does not emit it is unfinished.
/// Results are the completed captions, or, when none completed, the unfinished
/// beams, never an empty caption; duplicates merged, at most `nBest`, best `score` first.
/// With K = 1 this is exactly `Sampler.greedy`.
///
/// Log-probabilities only fall as a caption grows, so a live beam of total T can at best score
/// T / maxLength^α later: the search stops as soon as that bound for the best live beam falls
/// below the nBest-th completed caption's score. The bound is exact, so stopping never changes
/// the result; it ends the search long before `maxLength` once the captions have ended.
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
        precondition(nBest >= 1 && maxLength >= 2, "nBest must be positive and maxLength (which counts <end>) at least 2")
        precondition(lengthPenalty >= 0 && lengthPenalty.isFinite, "length penalty α must be finite and ≥ 0")
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

    /// One image's search: its live beams (rows of the shared state) and completed captions.
    private struct ImageSearch {
        var beams = [Beam(words: [], logProbabilities: [], total: 0)]
        var completed: [DecodedCaption] = []
        var finished = false

        /// Reads this image's rows of `logProbs` (from `firstRow`, one per live beam), completes
        /// the beams that propose `<end>` and keeps the K best proposals as the next beams.
        /// Returns them (`beam` is a row of the old beams); marks the search finished when no
        /// beam is left to extend.
        mutating func advance(_ logProbs: Tensor, firstRow: Int, position: Int, by search: BeamSearch) -> ArraySlice<Proposal> {
            let v = logProbs.shape[1]
            let last = position + 1 >= search.maxLength
            var proposals: [Proposal] = []
            for (b, beam) in beams.enumerated() {
                let offset = (firstRow + b) * v
                var row = Array(logProbs.data[offset..<(offset + v)])
                search.constraints.mask(&row, after: beam.words)
                for token in BeamSearch.topTokens(row, count: search.beamSize) {
                    let lp = row[token]
                    if token == CaptionModel.endToken {
                        completed.append(DecodedCaption(words: beam.words, tokenLogProbabilities: beam.logProbabilities + [lp],
                                                        finished: true, lengthPenalty: search.lengthPenalty))
                    } else if !last {
                        proposals.append(Proposal(beam: b, token: token, logProbability: lp, total: beam.total + lp))
                    }
                }
            }
            completed = BeamSearch.ranked(completed, limit: search.nBest)
            if last {
                // The beams stay as they are: unfinished, at most maxLength − 1 words.
                finished = true
                return []
            }
            proposals.sort { a, b in
                if a.total != b.total { return a.total > b.total }
                return a.beam != b.beam ? a.beam < b.beam : a.token < b.token
            }
            let kept = proposals.prefix(search.beamSize)
            beams = kept.map { p in
                Beam(words: beams[p.beam].words + [p.token],
                     logProbabilities: beams[p.beam].logProbabilities + [p.logProbability], total: p.total)
            }
            let n = search.nBest
            finished = beams.isEmpty
                || (completed.count >= n && DecodedCaption.score(logProbability: beams[0].total, length: search.maxLength,
                                                                 lengthPenalty: search.lengthPenalty) < completed[n - 1].score)
            return kept
        }

        /// The completed captions, or, when none completed, the unfinished beams.
        func results(by search: BeamSearch) -> [DecodedCaption] {
            if !completed.isEmpty { return completed }
            let unfinished = beams.map {
                DecodedCaption(words: $0.words, tokenLogProbabilities: $0.logProbabilities, finished: false,
                               lengthPenalty: search.lengthPenalty)
            }
            return BeamSearch.ranked(unfinished, limit: search.nBest)
        }
    }

    /// The n-best captions of one image (`feature` `// [F]`; nil for a text-only model).
    public func search(_ model: some StepwiseDecoder, feature: Tensor?) -> [DecodedCaption] {
        search(model, features: [feature])[0]
    }

    /// The n-best captions of several images, searched in lockstep: at each step the live beams
    /// of all images are the rows of one batched `step`. A step at a few rows is bound by reading
    /// the model's weights, so B images cost little more than one; each image gets the captions
    /// its own search would give (up to rounding in the GEMMs).
    public func search(_ model: some StepwiseDecoder, features: [Tensor?]) -> [[DecodedCaption]] {
        guard !features.isEmpty else { return [] }
        let start: RecurrentState
        let vectors = features.compactMap { $0 }
        if vectors.count == features.count {
            start = model.initialState(feature: Tensor.stackingRows(vectors))
        } else {
            start = model.initialState(feature: nil).selecting(rows: Array(repeating: 0, count: features.count))
        }
        var (state, logProbs) = model.step(start, tokens: Array(repeating: CaptionModel.startToken, count: features.count))
        var searches = Array(repeating: ImageSearch(), count: features.count)

        for position in 0..<maxLength {
            var rows: [Int] = []
            var tokens: [Int] = []
            var firstRow = 0
            for i in searches.indices where !searches[i].finished {
                let liveRows = searches[i].beams.count
                let kept = searches[i].advance(logProbs, firstRow: firstRow, position: position, by: self)
                if !searches[i].finished {
                    rows += kept.map { firstRow + $0.beam }
                    tokens += kept.map(\.token)
                }
                firstRow += liveRows
            }
            if rows.isEmpty { break }
            (state, logProbs) = model.step(state.selecting(rows: rows), tokens: tokens)
        }
        return searches.map { $0.results(by: self) }
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
