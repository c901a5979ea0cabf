import Captioning
import Testing
import Text

/// Word mode must match neuraltalk2's `prepro.py` on ASCII (expected values below were produced
/// by `s.lower().translate(None, string.punctuation).strip().split()`), and behave sensibly on
/// other scripts.
@Suite struct TokenizerTests {
    let words = Tokenizer()
    let characters = Tokenizer(mode: .characters)

    @Test func lowercasesAndStripsPunctuationLikeNeuralTalk() {
        #expect(words.tokens("A dog's ball.") == ["a", "dogs", "ball"])
        #expect(words.tokens("Hello, World! (test) -- 3.5 x-ray") == ["hello", "world", "test", "35", "xray"])
        #expect(words.tokens("Mr. O'Neil-Smith's CAT") == ["mr", "oneilsmiths", "cat"])
        #expect(words.tokens("a . b , c") == ["a", "b", "c"])
    }

    @Test func stripsExactlyPythonsPunctuationListOnASCII() {
        let pythonPunctuation = ##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##
        for value in UInt8(0x21)...UInt8(0x7E) {
            let character = Character(Unicode.Scalar(value))
            let expected = pythonPunctuation.contains(character) ? ["ab"] : ["a\(character)b".lowercased()]
            #expect(words.tokens("a\(character)b") == expected, "character \(character)")
        }
        #expect(words.tokens(#"$5 + 3 = 8 @home #1 50% a|b ~c^d `e` {f} [g] <h> i_j k\l m/n o;p q:r s?t u&v w*x y"z"#)
            == ["5", "3", "8", "home", "1", "50", "ab", "cd", "e", "f", "g", "h", "ij", "kl", "mn", "op", "qr", "st", "uv", "wx", "yz"])
    }

    @Test func splitsOnAnyWhitespaceAndDropsEmptyTokens() {
        #expect(words.tokens("  Tabs\tand\nnewlines\r\n and  spaces  ") == ["tabs", "and", "newlines", "and", "spaces"])
        #expect(words.tokens("\u{0B}vt\u{0C}ff") == ["vt", "ff"])
        #expect(words.tokens("...") == [])
        #expect(words.tokens("") == [])
        #expect(words.tokens(" ? ! ") == [])
    }

    @Test func lowercasesWithUnicodeRulesAndStripsUnicodePunctuation() {
        // Em dash (Pd) and guillemets (Pi/Pf) are punctuation; accented capitals lowercase.
        #expect(words.tokens("Élan VITAL — «Ça va?»") == ["élan", "vital", "ça", "va"])
        #expect(words.tokens("Le chien joue près de l’eau…") == ["le", "chien", "joue", "près", "de", "leau"])
        #expect(words.tokens("ΑΘΗΝΑ") == ["αθηνα"])
        // Ideographic comma and full stop are punctuation; Japanese has no spaces to split on.
        #expect(words.tokens("赤い帽子の子供が、笑っている。") == ["赤い帽子の子供が笑っている"])
        #expect(words.tokens("子供 が 遊んで いる 。") == ["子供", "が", "遊んで", "いる"])
    }

    @Test func splitsOnUnicodeSpaces() {
        #expect(words.tokens("un\u{00A0}chat\u{3000}noir\u{2009}ici") == ["un", "chat", "noir", "ici"])
    }

    @Test func keepsNonASCIISymbols() {
        // Only Python's ASCII list contains symbols; Unicode symbols (Sc, So) are kept.
        #expect(words.tokens("Prix: 5€ 🐕") == ["prix", "5€", "🐕"])
    }

    @Test func decomposedAccentsLowercaseToTheSameWord() {
        let decomposed = words.tokens("E\u{301}TE\u{301}")
        #expect(decomposed == ["été"])
        #expect(decomposed.first?.unicodeScalars.count == 5)
    }

    @Test func characterModeEmitsNormalizedCharactersWithSingleSpaces() {
        #expect(characters.tokens("A dog.") == ["a", " ", "d", "o", "g"])
        #expect(characters.tokens("  Un \t  été! ") == ["u", "n", " ", "é", "t", "é"])
        #expect(characters.tokens("...") == [])
    }

    @Test func characterModeKeepsGraphemeClustersWhole() {
        // A ZWJ emoji sequence and a decomposed accent are one character each.
        #expect(characters.tokens("🐕‍🦺 e\u{301}") == ["🐕‍🦺", " ", "é"])
        #expect(characters.tokens("子供。") == ["子", "供"])
    }

    @Test func characterModeNeverEmitsLineBreaks() {
        let tokens = characters.tokens("one\ntwo\r\nthree\u{2028}four")
        #expect(tokens.allSatisfy { !$0.contains(where: \.isNewline) })
        #expect(characters.join(tokens) == "one two three four")
    }

    @Test func joinRebuildsCaptionText() {
        #expect(words.join(words.tokens("A dog runs.")) == "a dog runs")
        #expect(characters.join(characters.tokens("A dog runs.")) == "a dog runs")
        #expect(words.join([]) == "")
    }

    @Test func modeNamesAreStableForMetadata() {
        #expect(Tokenizer.Mode.words.rawValue == "words")
        #expect(Tokenizer.Mode.characters.rawValue == "characters")
        #expect(Tokenizer.Mode(rawValue: "characters") == .characters)
        #expect(Tokenizer().mode == .words)
    }
}
