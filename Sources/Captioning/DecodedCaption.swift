import Foundation

/// One caption produced by `BeamSearch` or `Sampler`.
public struct DecodedCaption: Sendable, Equatable, Hashable {
    /// Word ids, without `<start>` or `<end>`; never empty.
    public var words: [Int]
    /// log p of each emitted token: one per word, then `<end>`'s when `finished` (as im2txt
    /// counts it), so `words.count + 1` values for a finished caption.
    public var tokenLogProbabilities: [Float]
    /// Σ `tokenLogProbabilities`: the model's log-probability of this caption.
    public var logProbability: Float
    /// What candidates are ranked by: `logProbability / length^α` with length the number of
    /// scored tokens (`tokenLogProbabilities.count`); equal to `logProbability` when α = 0.
    public var score: Float
    /// Whether the caption ended with `<end>` rather than running into the length limit.
    public var finished: Bool

    public init(words: [Int], tokenLogProbabilities: [Float], finished: Bool, lengthPenalty: Float = 0) {
        self.words = words
        self.tokenLogProbabilities = tokenLogProbabilities
        self.finished = finished
        let total = tokenLogProbabilities.reduce(0, +)
        logProbability = total
        score = Self.score(logProbability: total, length: tokenLogProbabilities.count, lengthPenalty: lengthPenalty)
    }

    /// `logProbability / length^α` (Wu et al. 2016 without their +5 offset); α = 0 leaves it as is.
    public static func score(logProbability: Float, length: Int, lengthPenalty: Float) -> Float {
        lengthPenalty == 0 ? logProbability : logProbability / pow(Float(max(1, length)), lengthPenalty)
    }
}

/// Ordering of decoded captions: higher score first; ties by higher log-probability, then by
/// word ids, so results never depend on the order candidates were found in.
extension DecodedCaption {
    static func ranksBefore(_ a: DecodedCaption, _ b: DecodedCaption) -> Bool {
        if a.score != b.score { return a.score > b.score }
        if a.logProbability != b.logProbability { return a.logProbability > b.logProbability }
        return a.words.lexicographicallyPrecedes(b.words)
    }
}
