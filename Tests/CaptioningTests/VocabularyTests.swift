import Captioning
import Testing
import Text

@Suite struct VocabularyTests {
    /// a ×3, cat ×2, dog ×2, runs/the/zebra ×1.
    let captions = [["a", "dog", "runs"], ["a", "dog"], ["a", "cat"], ["the", "cat"], ["zebra"]]

    @Test func specialIDsAreFixed() {
        let vocabulary = Vocabulary(counting: captions, minimumCount: 1)
        #expect(Vocabulary.endID == 0 && Vocabulary.startID == 1 && Vocabulary.unknownID == 2)
        #expect(vocabulary.word(for: 0) == "<end>")
        #expect(vocabulary.word(for: 1) == "<start>")
        #expect(vocabulary.word(for: 2) == "<unk>")
        #expect(vocabulary.id(for: "<end>") == 0)
        #expect(vocabulary.id(for: "<start>") == 1)
        #expect(vocabulary.id(for: "<unk>") == 2)
    }

    @Test func ordersByDecreasingCountThenAlphabetically() {
        let vocabulary = Vocabulary(counting: captions, minimumCount: 1)
        #expect(vocabulary.words == ["<end>", "<start>", "<unk>", "a", "cat", "dog", "runs", "the", "zebra"])
        #expect(vocabulary.count == 9)
    }

    @Test func orderDoesNotDependOnInputOrder() {
        let forward = Vocabulary(counting: captions, minimumCount: 1)
        let backward = Vocabulary(counting: captions.reversed().map { $0.reversed() }, minimumCount: 1)
        #expect(forward == backward)
        #expect(forward.serialized == backward.serialized)
    }

    @Test func dropsWordsBelowTheThreshold() {
        let vocabulary = Vocabulary(counting: captions, minimumCount: 2)
        #expect(vocabulary.words == ["<end>", "<start>", "<unk>", "a", "cat", "dog"])
        #expect(vocabulary.id(for: "zebra") == nil)
    }

    @Test func defaultThresholdIsFive() {
        let fiveTimes = Array(repeating: ["kite"], count: 5)
        let fourTimes = Array(repeating: ["boat"], count: 4)
        let vocabulary = Vocabulary(counting: fiveTimes + fourTimes)
        #expect(Vocabulary.defaultMinimumCount == 5)
        #expect(vocabulary.words == ["<end>", "<start>", "<unk>", "kite"])
    }

    @Test func mapsUnknownWordsToUnk() {
        let vocabulary = Vocabulary(counting: captions, minimumCount: 2)
        #expect(vocabulary.encode(["a", "zebra", "dog", "unicorn"]) == [3, 2, 5, 2])
        #expect(vocabulary.encode([]) == [])
    }

    @Test func decodeStopsAtEndAndDropsStart() {
        let vocabulary = Vocabulary(counting: captions, minimumCount: 2)
        #expect(vocabulary.decode([1, 3, 5, 0, 4]) == ["a", "dog"])
        #expect(vocabulary.decode([3, 2, 4]) == ["a", "<unk>", "cat"])
        #expect(vocabulary.decode([0, 3]) == [])
    }

    @Test func decodeShowsOutOfRangeIDsAsUnk() {
        let vocabulary = Vocabulary(counting: captions, minimumCount: 2)
        #expect(vocabulary.decode([3, 99, -1]) == ["a", "<unk>", "<unk>"])
        #expect(vocabulary.word(for: 99) == nil)
        #expect(vocabulary.word(for: -1) == nil)
    }

    @Test func encodeThenDecodeRoundTrips() {
        let vocabulary = Vocabulary(counting: captions, minimumCount: 1)
        for caption in captions {
            #expect(vocabulary.decode([Vocabulary.startID] + vocabulary.encode(caption) + [Vocabulary.endID]) == caption)
        }
    }

    @Test func tokensSpelledLikeSpecialsAreNotCounted() {
        let vocabulary = Vocabulary(counting: Array(repeating: ["<unk>", "<end>", "<start>", "dog"], count: 5))
        #expect(vocabulary.words == ["<end>", "<start>", "<unk>", "dog"])
    }

    @Test func canonicallyEquivalentSpellingsAreOneWord() {
        let vocabulary = Vocabulary(counting: [["été"], ["e\u{301}te\u{301}"]], minimumCount: 2)
        #expect(vocabulary.count == 4)
        #expect(vocabulary.id(for: "e\u{301}te\u{301}") == 3)
    }

    @Test func serializesAsOneWordPerLineInIDOrder() throws {
        let vocabulary = Vocabulary(counting: captions, minimumCount: 2)
        #expect(vocabulary.serialized == "<end>\n<start>\n<unk>\na\ncat\ndog")
        #expect(try Vocabulary(serialized: vocabulary.serialized) == vocabulary)
    }

    @Test func serializationRoundTripsAnyUnicodeWord() throws {
        let words = ["été", "子供", "🐕‍🦺", "e\u{301}", " ", "tab\tinside", "\u{2028}"]
        let vocabulary = try Vocabulary(words: words)
        let restored = try Vocabulary(serialized: vocabulary.serialized)
        #expect(restored == vocabulary)
        #expect(restored.words.dropFirst(3).map { Array($0.unicodeScalars) } == words.map { Array($0.unicodeScalars) })
        #expect(restored.id(for: " ") == 7)
    }

    @Test func characterVocabularyRoundTrips() throws {
        let tokenizer = Tokenizer(mode: .characters)
        let captions = Array(repeating: tokenizer.tokens("Un été à Kyōto"), count: 5)
        let vocabulary = Vocabulary(counting: captions)
        #expect(vocabulary.id(for: " ") != nil)
        #expect(try Vocabulary(serialized: vocabulary.serialized) == vocabulary)
        #expect(tokenizer.join(vocabulary.decode(vocabulary.encode(captions[0]))) == "un été à kyōto")
    }

    @Test func parsesCRLFAndATrailingLineBreak() throws {
        let vocabulary = try Vocabulary(serialized: "<end>\r\n<start>\r\n<unk>\r\na\r\nb\r\n")
        #expect(vocabulary.words == ["<end>", "<start>", "<unk>", "a", "b"])
        #expect(try Vocabulary(serialized: "<end>\n<start>\n<unk>\n").count == 3)
    }

    @Test func rejectsSerializationsWithoutTheSpecials() {
        #expect(throws: Vocabulary.FormatError.self) { try Vocabulary(serialized: "") }
        let error = #expect(throws: Vocabulary.FormatError.self) { try Vocabulary(serialized: "a\nb\nc") }
        #expect(error?.description.contains("must start with <end>, <start>, <unk>") == true)
        #expect(throws: Vocabulary.FormatError.self) { try Vocabulary(serialized: "<start>\n<end>\n<unk>") }
    }

    @Test func rejectsDuplicateAndEmptyWords() {
        let duplicate = #expect(throws: Vocabulary.FormatError.self) { try Vocabulary(serialized: "<end>\n<start>\n<unk>\na\nb\na") }
        #expect(duplicate?.description == #"word "a" has both id 3 and id 5"#)
        let empty = #expect(throws: Vocabulary.FormatError.self) { try Vocabulary(serialized: "<end>\n<start>\n<unk>\na\n\nb") }
        #expect(empty?.description == "word for id 4 is empty")
        #expect(throws: Vocabulary.FormatError.self) { try Vocabulary(words: ["<unk>"]) }
        #expect(throws: Vocabulary.FormatError.self) { try Vocabulary(words: ["two\nlines"]) }
        #expect(throws: Vocabulary.FormatError.self) { try Vocabulary(words: ["carriage\rreturn"]) }
    }

    @Test func explicitWordListKeepsItsOrder() throws {
        let vocabulary = try Vocabulary(words: ["zebra", "a"])
        #expect(vocabulary.id(for: "zebra") == 3)
        #expect(vocabulary.id(for: "a") == 4)
        #expect(vocabulary.count == 5)
    }
}
