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

    /// The tokens the aligner does not know, each once, in the order they first appear.
    public var unknownWords: [String] {
        var seen = Set<String>()
        return zip(tokens, known).compactMap { token, known in !known && seen.insert(token).inserted ? token : nil }
    }

    /// More than half of the tokens are unknown to the aligner. Every unknown word is read as the
    /// same `<unk>` vector, so such a sentence's score measures mostly that vector, not the
    /// sentence: it gets a warning and no match probability.
    public var isMostlyUnknown: Bool {
        2 * known.filter { !$0 }.count > tokens.count
    }

    /// For a mostly unknown sentence: `"a zorblax quux": 2 of 3 words are unknown to the aligner
    /// (zorblax, quux): its score says little`; nil otherwise.
    public var unknownWordsWarning: String? {
        guard isMostlyUnknown else { return nil }
        let quoted = text.count > 60 ? text.prefix(59) + "…" : Substring(text)
        let listed = unknownWords.prefix(5).joined(separator: ", ") + (unknownWords.count > 5 ? ", …" : "")
        return "\"\(quoted)\": \(known.filter { !$0 }.count) of \(tokens.count) words are unknown to the aligner "
            + "(\(listed)): its score says little"
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
