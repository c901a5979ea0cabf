import Captioning

/// How captions are chosen: beam search (the default), greedy decoding or sampling, and whether
/// the aligner re-ranks the beam. A plain value: the CLI's options, a server's query and the
/// benchmarks all fill one in, and `validate()` is the one place that checks its numbers.
///
/// The defaults were chosen on Flickr8k dev (README, "Quality"): beam 3 takes most of the gain
/// over greedy decoding; α 0.5 with no repeated bigram and re-ranking at w 0.6 scored best.
public struct DecodingPolicy: Sendable, Equatable {
    /// K, beams kept at each step.
    public var beamSize = 3
    /// Captions returned per photo, best first (at most `beamSize`).
    public var nBest = 1
    /// Longest caption, in words (`<end>` not counted).
    public var maxLength = 20
    /// α of `score = logprob / length^α`; 0 ranks by log-probability alone.
    public var lengthPenalty: Float = 0.2
    /// No n-gram of this many words repeats within a caption (0 = off).
    public var noRepeatNgram = 2
    /// The most likely word at each step (beam size 1).
    public var greedy = false
    /// Draw words from the model's distribution instead of searching.
    public var sample = false
    /// With `sample`: below 1 is more conservative, above 1 more varied.
    public var temperature: Float = 1
    /// With `sample`: each photo's words are drawn from a generator seeded with this.
    public var seed: UInt64 = 1
    /// Whether the aligner picks the caption from the beam; nil: the default (see `reranks`).
    public var rerank: Bool?
    /// w, the aligner's share of the re-ranking score.
    public var rerankWeight: Float = 0.6

    public init() {}

    /// The ranges every numeric field must lie in: what `validate()` checks and help quotes.
    public enum Limits {
        public static let beamSize = 1...20
        /// Flickr8k's longest reference caption has 37 words; 100 leaves room for any dataset
        /// while bounding the time one photo can take.
        public static let maxLength = 1...100
        public static let lengthPenalty: ClosedRange<Float> = 0...5
        public static let noRepeatNgram = 0...100
        public static let temperature: ClosedRange<Float> = 0.01...100
        public static let rerankWeight: ClosedRange<Float> = 0...1
    }

    /// Throws a usage error naming the first option out of its range (NaN is never in range).
    public func validate() throws(CaptionError) {
        func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, _ option: String) throws(CaptionError) {
            guard range.contains(value) else {
                throw .usage(option, "must be in \(range.lowerBound)…\(range.upperBound), got \(value)")
            }
        }
        try check(beamSize, in: Limits.beamSize, "--beam-size")
        try check(nBest, in: 1...beamSize, "--n-best")
        try check(maxLength, in: Limits.maxLength, "--max-length")
        try check(lengthPenalty, in: Limits.lengthPenalty, "--length-penalty")
        try check(noRepeatNgram, in: Limits.noRepeatNgram, "--no-repeat-ngram")
        try check(temperature, in: Limits.temperature, "--temperature")
        try check(rerankWeight, in: Limits.rerankWeight, "--rerank-weight")
        if greedy && sample { throw .usage("--greedy", "--greedy and --sample are alternatives: choose one") }
        if rerank == true && (greedy || sample) { throw .usage("--rerank", "needs beam search (no --greedy or --sample)") }
    }

    /// Whether the aligner picks the caption from the beam: as asked, else whenever beam search
    /// runs the shipped captioner and the shipped aligner is there (together they gain about
    /// 3 CIDEr-D points on Flickr8k dev). Another captioner may come from another domain or
    /// vocabulary than the aligner, so it is not re-ranked unasked.
    public func reranks(shippedCaptioner: Bool, alignerShipped: Bool) -> Bool {
        if let rerank { return rerank }
        return shippedCaptioner && alignerShipped && !greedy && !sample
    }

    /// The beam search this policy describes. When re-ranking it keeps the whole beam for the
    /// aligner to choose from. `maxLength` counts `<end>`, as in im2txt.
    public func search(reranking: Bool) -> BeamSearch {
        BeamSearch(beamSize: greedy ? 1 : beamSize, nBest: greedy ? 1 : (reranking ? beamSize : nBest),
                   maxLength: maxLength + 1, lengthPenalty: lengthPenalty, noRepeatNgram: noRepeatNgram)
    }

    /// How the captioner's outputs become captions under this policy.
    public func decoding(reranking: Bool) -> CaptionDecoding {
        if sample {
            return .sample(Sampler(maxLength: maxLength + 1, noRepeatNgram: noRepeatNgram), temperature: temperature, seed: seed)
        }
        return .beam(search(reranking: reranking))
    }
}
