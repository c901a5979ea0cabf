import Alignment
import Weights

/// One scored (image, sentence) pair, or why it could not be scored, as `caption score` prints
/// it: a TSV line `image<TAB>sentence<TAB>score<TAB>normalized` (or
/// `image<TAB>sentence<TAB>error:<reason>`), or a JSON object.
struct PairResult {
    var line: Int?
    var image: String
    var sentence: String
    var outcome: Result<(alignment: PairAlignment, words: Int), PairProblem>

    /// Tabs and line breaks inside a field would break the TSV row: they become spaces.
    private static func field(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    var tsv: String {
        let head = Self.field(image) + "\t" + Self.field(sentence) + "\t"
        switch outcome {
        case .success(let scored):
            return head + Self.number(scored.alignment.raw) + "\t" + Self.number(scored.alignment.normalized)
        case .failure(let problem):
            return head + "error:" + Self.field(problem.description)
        }
    }

    var json: String {
        var fields: [String] = []
        if let line { fields.append("\"line\":\(line)") }
        fields.append("\"image\":\(JSONText.quoted(image))")
        fields.append("\"sentence\":\(JSONText.quoted(sentence))")
        switch outcome {
        case .success(let scored):
            fields.append("\"score\":\(Self.number(scored.alignment.raw))")
            fields.append("\"normalized\":\(Self.number(scored.alignment.normalized))")
            fields.append("\"words\":\(scored.words)")
        case .failure(let problem):
            fields.append("\"error\":\(JSONText.quoted(problem.description))")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func number(_ value: Float) -> String { String(format: "%.4f", value) }
}

/// Why one line of a pairs file, or one pair, was not scored.
enum PairProblem: Error, CustomStringConvertible {
    case image(ImageProblem)
    case sentence(SentenceProblem)
    case missingTab
    case emptyLine
    case lineTooLong(Int)

    var description: String {
        switch self {
        case .image(let problem): return problem.description
        case .sentence(let problem): return problem.description
        case .missingTab: return "no tab between image and sentence (expected IMAGE<TAB>sentence)"
        case .emptyLine: return "empty line (expected IMAGE<TAB>sentence)"
        case .lineTooLong(let bytes): return "line of \(bytes) bytes is too long"
        }
    }
}
