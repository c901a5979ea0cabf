import Alignment
import Support

/// How to read a sentence's score on a photo, shown beside S and S / words wherever a score is:
/// the calibrated match probability (`MatchCalibration`: the probability that the sentence was
/// written for this photo rather than another, 0.5 = can't tell), and the words the aligner did
/// not know.
///
/// "match" is left out when the aligner has no calibration (nothing is invented), and is null
/// when the sentence is mostly unknown words (`SentenceInput.isMostlyUnknown`): a confident-looking
/// number would then describe the `<unk>` vector, not the sentence.
public struct MatchReading: Sendable, Equatable {
    /// σ(a · S / words + b), or nil (see above).
    public var match: Float?
    /// Whether the aligner was calibrated, so a missing `match` is written as null.
    public var calibrated: Bool
    /// `SentenceInput.unknownWords`.
    public var unknownWords: [String]
    /// `SentenceInput.unknownWordsWarning`.
    public var warning: String?

    public init(_ sentence: SentenceInput, alignment: PairAlignment, calibration: MatchCalibration?) {
        calibrated = calibration != nil
        match = sentence.isMostlyUnknown ? nil : calibration?.probability(normalizedScore: alignment.normalized)
        unknownWords = sentence.unknownWords
        warning = sentence.unknownWordsWarning
    }

    /// The JSON fields: `"match"` (when calibrated: a number, or null), `"unknown_words"` (when
    /// there are any) and `"warning"` (for a mostly unknown sentence).
    public var jsonFields: [(String, JSON)] {
        var fields: [(String, JSON)] = []
        if calibrated { fields.append(("match", .number(match, decimals: 3))) }
        if !unknownWords.isEmpty { fields.append(("unknown_words", .array(unknownWords.map { .string($0) }))) }
        if let warning { fields.append(("warning", .string(warning))) }
        return fields
    }

    /// The match as text prints it ("0.83"); empty when there is none.
    public var matchText: String {
        match.map { Self.text($0) } ?? ""
    }

    /// What "match" is, in one clause.
    public static let meaning = "the probability, calibrated on Flickr8k dev, that this sentence was written for this "
        + "photo rather than another photo; 0.5 = can't tell"

    /// How to read "match", for each command's help.
    public static let help = """
        match: \(meaning). It is left out when the aligner file has \
        no calibration (`caption evaluate alignment --calibrate` adds one). A sentence with more than \
        half its words unknown to the aligner gets a warning on stderr, "unknown_words" in JSON and \
        "match": null: its score mostly measures the one vector every unknown word shares.
        """

    /// A probability with two decimals; empty when not finite.
    public static func text(_ probability: Float) -> String {
        probability.isFinite ? String(format: "%.2f", probability) : ""
    }
}
