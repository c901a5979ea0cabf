import Alignment
import ImageDecoding
import Support

/// One scored (image, sentence) pair, or why it could not be scored, as `caption score` prints
/// it: a TSV line `image<TAB>sentence<TAB>score<TAB>normalized<TAB>match` (match empty when there
/// is none, `MatchReading`), or `image<TAB>sentence<TAB>error:<reason>`; or a JSON object.
public struct PairResult {
    public var line: Int?
    public var image: String
    public var sentence: String
    public var outcome: Result<ScoredPair, PairProblem>

    public init(line: Int?, image: String, sentence: String, outcome: Result<ScoredPair, PairProblem>) {
        self.line = line
        self.image = image
        self.sentence = sentence
        self.outcome = outcome
    }

    /// Tabs and line breaks inside a field would break the TSV row: they become spaces.
    private static func field(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    public var tsv: String {
        let head = Self.field(image) + "\t" + Self.field(sentence) + "\t"
        switch outcome {
        case .success(let scored):
            return head + Self.number(scored.alignment.raw) + "\t" + Self.number(scored.alignment.normalized)
                + "\t" + scored.reading.matchText
        case .failure(let problem):
            return head + "error:" + Self.field(problem.description)
        }
    }

    public var json: String {
        var fields: [(String, JSON)] = []
        if let line { fields.append(("line", .int(line))) }
        fields += [("image", .string(image)), ("sentence", .string(sentence))]
        switch outcome {
        case .success(let scored):
            fields += [("score", .number(scored.alignment.raw)), ("normalized", .number(scored.alignment.normalized))]
            fields += scored.reading.jsonFields + [("words", .int(scored.words))]
        case .failure(let problem):
            fields.append(("error", .string(problem.description)))
        }
        return JSON.object(fields).text
    }

    /// A score as the TSV output prints it; JSON writes non-finite ones as `null`.
    public static func number(_ value: Float) -> String { String(format: "%.4f", value) }
}

/// A pair that was scored: how the sentence aligns, its length in words and how to read the score.
public struct ScoredPair: Sendable {
    public var alignment: PairAlignment
    public var words: Int
    public var reading: MatchReading

    public init(alignment: PairAlignment, words: Int, reading: MatchReading) {
        self.alignment = alignment
        self.words = words
        self.reading = reading
    }
}

/// Why one line of a pairs file, or one pair, was not scored.
public enum PairProblem: Error, CustomStringConvertible {
    case image(ImageDecodingError)
    case sentence(SentenceProblem)
    case missingTab
    case emptyLine
    case lineTooLong(Int)

    public var description: String {
        switch self {
        case .image(let problem): return problem.description
        case .sentence(let problem): return problem.description
        case .missingTab: return "no tab between image and sentence (expected IMAGE<TAB>sentence)"
        case .emptyLine: return "empty line (expected IMAGE<TAB>sentence)"
        case .lineTooLong(let bytes): return "line of \(bytes) bytes is too long"
        }
    }
}
