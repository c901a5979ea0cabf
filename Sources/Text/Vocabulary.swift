/// The mapping between caption tokens and the integer ids a decoder model predicts.
///
/// The first three ids are fixed because model code hard-wires them: 0 = `<end>`,
/// 1 = `<start>`, 2 = `<unk>`. Real words follow from id 3 in order of decreasing training
/// count, ties broken by Swift's `String` ordering (alphabetical on ASCII), so the same
/// captions always give the same ids. Words are compared the way `String` compares them
/// (Unicode canonical equivalence), so precomposed and decomposed spellings are one word.
///
/// A word is never empty and never contains a line break; this is what lets `serialized`
/// store the vocabulary as one line per word inside a model file's metadata.
public struct Vocabulary: Sendable, Hashable {
    /// Why a word list or serialized vocabulary was rejected.
    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static let endID = 0
    public static let startID = 1
    public static let unknownID = 2
    public static let endToken = "<end>"
    public static let startToken = "<start>"
    public static let unknownToken = "<unk>"
    /// The special tokens in id order; they occupy ids 0..<3 of every vocabulary.
    public static let specialTokens = [endToken, startToken, unknownToken]
    /// NeuralTalk's default: words seen fewer than 5 times in training map to `<unk>`.
    public static let defaultMinimumCount = 5

    /// Every token in id order, specials first: `words[id]` is the token with that id.
    public let words: [String]
    private let ids: [String: Int]

    /// A vocabulary whose real words (ids 3, 4, …) are `realWords` in the given order.
    public init(words realWords: [String]) throws(FormatError) {
        var ids: [String: Int] = [:]
        for (id, special) in Self.specialTokens.enumerated() {
            ids[special] = id
        }
        for (offset, word) in realWords.enumerated() {
            let id = offset + Self.specialTokens.count
            if let problem = Self.problem(with: word) {
                throw FormatError(description: "word for id \(id) \(problem)")
            }
            if let earlier = ids[word] {
                throw FormatError(description: "word \(word.debugDescription) has both id \(earlier) and id \(id)")
            }
            ids[word] = id
        }
        self.words = Self.specialTokens + realWords
        self.ids = ids
    }

    private init(checkedWords realWords: [String]) {
        words = Self.specialTokens + realWords
        ids = Dictionary(uniqueKeysWithValues: words.enumerated().map { ($1, $0) })
    }

    /// Counts the tokens of tokenized training captions and keeps those seen at least
    /// `minimumCount` times. Tokens spelled like a special token, empty, or containing a line
    /// break are not counted: they can't be real words (the tokenizer never emits them).
    public init<Captions: Sequence<[String]>>(counting captions: Captions, minimumCount: Int = Vocabulary.defaultMinimumCount) {
        var counts: [String: Int] = [:]
        for caption in captions {
            for token in caption {
                counts[token, default: 0] += 1
            }
        }
        let kept = counts
            .filter { word, count in
                count >= minimumCount && !Self.specialTokens.contains(word) && Self.problem(with: word) == nil
            }
            .sorted { lhs, rhs in lhs.value != rhs.value ? lhs.value > rhs.value : lhs.key < rhs.key }
            .map(\.key)
        // Distinct keys that passed `problem(with:)` and aren't specials need no further checks.
        self.init(checkedWords: kept)
    }

    /// Reads the form written by `serialized`. A trailing line break and CRLF line endings
    /// are accepted, since metadata may pass through text tools.
    public init(serialized text: String) throws(FormatError) {
        var lines = text.unicodeScalars
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in String(line.last == "\r" ? line.dropLast() : line) }
        if lines.count > 1, lines.last == "" {
            lines.removeLast()
        }
        guard lines.count >= Self.specialTokens.count,
              Array(lines.prefix(Self.specialTokens.count)) == Self.specialTokens else {
            let head = lines.prefix(Self.specialTokens.count).joined(separator: ", ")
            throw FormatError(description: "serialized vocabulary must start with \(Self.specialTokens.joined(separator: ", ")) (one per line), found \(head.debugDescription)")
        }
        try self.init(words: Array(lines.dropFirst(Self.specialTokens.count)))
    }

    /// One token per line in id order, specials included, no trailing line break.
    public var serialized: String {
        words.joined(separator: "\n")
    }

    /// The number of ids, specials included (the size of a decoder's output layer).
    public var count: Int { words.count }

    /// The id of `word`, or nil when it isn't in the vocabulary (see `encode` for `<unk>` mapping).
    public func id(for word: String) -> Int? {
        ids[word]
    }

    /// The token with id `id`, or nil when `id` is out of range.
    public func word(for id: Int) -> String? {
        words.indices.contains(id) ? words[id] : nil
    }

    /// The ids of `tokens`, with words outside the vocabulary mapped to `<unk>` (id 2).
    /// No `<start>`/`<end>` is added: framing a sequence is the model code's decision.
    public func encode(_ tokens: [String]) -> [Int] {
        tokens.map { ids[$0] ?? Self.unknownID }
    }

    /// The tokens of a generated id sequence: stops at the first `<end>`, drops `<start>`,
    /// and shows an id outside the vocabulary as `<unk>` rather than trapping on model output.
    public func decode(_ sequence: [Int]) -> [String] {
        var tokens: [String] = []
        for id in sequence {
            if id == Self.endID { break }
            if id == Self.startID { continue }
            tokens.append(word(for: id) ?? Self.unknownToken)
        }
        return tokens
    }

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words)
    }

    /// Why `word` can't be stored, or nil when it can.
    private static func problem(with word: String) -> String? {
        if word.isEmpty { return "is empty" }
        if word.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
            return "\(word.debugDescription) contains a line break"
        }
        return nil
    }
}
