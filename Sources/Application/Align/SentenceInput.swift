import Alignment

/// A sentence given on the command line or in a pairs file, as the aligner reads it: tokenized
/// with the model's tokenizer and mapped to word ids (unknown words become `<unk>`).
///
/// Sentences of more than `maximumWords` words are refused, not truncated: a score over the
/// first 200 words of a longer text would silently describe something else, and S grows with
/// every word, so it would not be comparable either. Captions are 10–20 words; 200 leaves room
/// for paragraphs while bounding the work one line can ask for.
public struct SentenceInput {
    public static let maximumWords = 200

    public let text: String
    public let tokens: [String]
    public let ids: [Int]
    /// Whether each token is in the aligner's vocabulary (false: read as `<unk>`).
    public let known: [Bool]

    /// The checked sentence, or why it cannot be scored.
    public static func parse(_ text: String, with file: AlignmentModelFile) -> Result<SentenceInput, SentenceProblem> {
        let (tokens, ids) = file.encode(text)
        if tokens.isEmpty { return .failure(.empty) }
        if tokens.count > maximumWords { return .failure(.tooLong(tokens.count)) }
        return .success(SentenceInput(text: text, tokens: tokens, ids: ids,
                                      known: tokens.map { file.vocabulary.id(for: $0) != nil }))
    }

    /// A quick check before any model is loaded (for `validate()`): whitespace-separated words.
    public static func usageProblem(_ text: String) -> SentenceProblem? {
        let words = text.split(whereSeparator: { $0.isWhitespace }).count
        if words == 0 { return .empty }
        if words > maximumWords { return .tooLong(words) }
        return nil
    }
}

/// Why a sentence cannot be scored.
public enum SentenceProblem: Error, CustomStringConvertible {
    case empty
    case tooLong(Int)

    public var description: String {
        switch self {
        case .empty: return "empty sentence (no words after removing punctuation)"
        case .tooLong(let words): return "sentence has \(words) words, more than the limit of \(SentenceInput.maximumWords)"
        }
    }
}
