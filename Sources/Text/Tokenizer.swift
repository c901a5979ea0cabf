/// Splits a raw caption into tokens the way NeuralTalk's preprocessing does, so that
/// vocabularies, training targets and metric references all see the same words.
///
/// Word mode reproduces neuraltalk2's `prepro.py`
/// (`str(s).lower().translate(None, string.punctuation).strip().split()`) exactly on ASCII:
/// lowercase, delete every character of Python's `string.punctuation` (wherever it occurs, so
/// `"dog's"` becomes `"dogs"` and a lone `"."` disappears), then split on whitespace.
/// Beyond ASCII, lowercasing uses Unicode rules, every scalar in a Unicode punctuation category
/// (`P*`: dashes, brackets, quotes, `。`, `、`, …) is deleted and every Unicode whitespace scalar
/// separates words, so captions in any language written with spaces tokenize sensibly.
/// Non-ASCII symbols (`S*`, e.g. `€`) are kept: only Python's ASCII list includes symbols.
///
/// Character mode (for char-rnn style decoders) applies the same normalization and then emits
/// every character of the normalized caption, with exactly one `" "` token between words.
/// Normalizing first keeps character models' outputs comparable with the word-level references
/// used for evaluation, and collapsing whitespace guarantees no token contains a line break
/// (which the vocabulary's serialized form relies on).
public struct Tokenizer: Sendable, Hashable {
    /// The unit a caption is cut into.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// One token per whitespace-separated word.
        case words
        /// One token per character (extended grapheme cluster), spaces included.
        case characters
    }

    /// The unit this tokenizer emits.
    public var mode: Mode

    public init(mode: Mode = .words) {
        self.mode = mode
    }

    /// The tokens of `caption` in order; empty when the caption holds only punctuation and spaces.
    public func tokens(_ caption: String) -> [String] {
        let words = Self.normalizedWords(caption)
        switch mode {
        case .words:
            return words
        case .characters:
            return words.joined(separator: " ").map { String($0) }
        }
    }

    /// Rebuilds caption text from tokens this tokenizer produced (or a decoder generated):
    /// words are joined by single spaces, characters are concatenated.
    public func join(_ tokens: [String]) -> String {
        switch mode {
        case .words: return tokens.joined(separator: " ")
        case .characters: return tokens.joined()
        }
    }

    /// Lowercased, punctuation-free words. Works scalar by scalar (not by grapheme) because
    /// Python deletes punctuation code points, even ones a combining mark is attached to.
    static func normalizedWords(_ caption: String) -> [String] {
        if let words = asciiNormalizedWords(caption) {
            return words
        }
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in caption.lowercased().unicodeScalars {
            if scalar.properties.isWhitespace {
                if !current.isEmpty {
                    words.append(String(current))
                    current = String.UnicodeScalarView()
                }
            } else if !isPunctuation(scalar) {
                current.append(scalar)
            }
        }
        if !current.isEmpty {
            words.append(String(current))
        }
        return words
    }

    /// The same result for all-ASCII captions (nearly every English caption), computed on
    /// bytes: Unicode lowercasing and property lookups dominate vocabulary building otherwise.
    /// Nil when the caption has a non-ASCII byte.
    private static func asciiNormalizedWords(_ caption: String) -> [String]? {
        var words: [String] = []
        var current: [UInt8] = []
        for byte in caption.utf8 {
            switch byte {
            case 0x80...:
                return nil
            case 0x09...0x0D, 0x20:
                if !current.isEmpty {
                    words.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                }
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                current.append(byte + 0x20)
            default:
                if !isPunctuation(Unicode.Scalar(byte)) {
                    current.append(byte)
                }
            }
        }
        if !current.isEmpty {
            words.append(String(decoding: current, as: UTF8.self))
        }
        return words
    }

    /// Python's `string.punctuation` on ASCII (it includes symbols such as `$`, `+`, `|`),
    /// the Unicode punctuation categories elsewhere.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            // !"#$%&'()*+,-./  :;<=>?@  [\]^_`  {|}~
            switch scalar.value {
            case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
            default: return false
            }
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
