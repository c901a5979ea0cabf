import Alignment
import Captioning
import Foundation
import Tensors
import Testing
import Formats
import Text

/// The aligner's file keeps parameters, config, vocabulary and tokenizer together, exactly in
/// float32 and within float16 rounding in float16, and refuses files that are not aligners.
@Suite struct AlignmentModelFileTests {
    static func sample() throws -> AlignmentModelFile {
        let vocabulary = try Vocabulary(words: ["a", "dog", "runs", "on", "the", "beach"])
        let config = AlignmentConfig(vocabularySize: vocabulary.count, featureSize: 12, wordSize: 6, hiddenSize: 8,
                                     margin: 0.5, regularization: 1e-3)
        var fixtures = AlignmentFixtures(seed: 4)
        let model = fixtures.withRandomBiases(AlignmentModel(config: config, seed: 4))
        return AlignmentModelFile(model: model, vocabulary: vocabulary, tokenizer: Tokenizer(),
                                  info: ["command": "caption train aligner --data x", "epoch": "3"])
    }

    static func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("aligner-\(UUID().uuidString).safetensors")
    }

    @Test func float32RoundTripIsExact() throws {
        let original = try Self.sample()
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try original.write(to: url)
        let read = try AlignmentModelFile.read(contentsOf: url)
        #expect(read.model.config == original.model.config)
        #expect(read.model.parameters == original.model.parameters)
        #expect(read.vocabulary == original.vocabulary)
        #expect(read.tokenizer == original.tokenizer)
        #expect(read.info == original.info)

        var fixtures = AlignmentFixtures(seed: 9)
        let regions = fixtures.regions(count: 5, features: 12)
        let sentence = original.encode("A dog runs on the sand!").ids
        #expect(sentence == [3, 4, 5, 6, 7, Vocabulary.unknownID])
        #expect(read.model.score(regions: regions, sentence: sentence) == original.model.score(regions: regions, sentence: sentence))
    }

    @Test func float16RoundTripScoresAlike() throws {
        let original = try Self.sample()
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try original.write(to: url, dtype: .f16)
        let read = try AlignmentModelFile.read(contentsOf: url)
        var fixtures = AlignmentFixtures(seed: 10)
        let regions = fixtures.regions(count: 5, features: 12)
        let sentence = original.encode("the dog on the beach").ids
        let before = original.model.score(regions: regions, sentence: sentence)
        let after = read.model.score(regions: regions, sentence: sentence)
        #expect(abs(before.raw - after.raw) <= 2e-3 * max(1, abs(before.raw)), "\(before.raw) vs \(after.raw)")
    }

    @Test func refusesFilesThatAreNotAligners() throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let original = try Self.sample()

        // A captioner-format file.
        try SafeTensorsFile.write(original.model.parameters, metadata: ["format": "caption-captioner-1"], to: url)
        #expect(throws: AlignmentModelFileError.self) { try AlignmentModelFile.read(contentsOf: url) }

        // A vocabulary that does not match the embedding's rows.
        var wrong = original
        wrong.info = [:]
        try wrong.write(to: url)
        var file = try SafeTensorsFile.read(contentsOf: url)
        file.metadata["vocabulary"] = (Vocabulary.specialTokens + ["a"]).joined(separator: "\n")
        try SafeTensorsFile.write(file.tensors, metadata: file.metadata, to: url)
        #expect(throws: AlignmentModelFileError.self) { try AlignmentModelFile.read(contentsOf: url) }

        // A missing parameter.
        var parameters = original.model.parameters
        parameters[AlignmentParameter.outputBias.name] = nil
        try SafeTensorsFile.write(parameters, metadata: file.metadata.merging(["vocabulary": original.vocabulary.serialized]) { $1 }, to: url)
        #expect(throws: AlignmentModelFileError.self) { try AlignmentModelFile.read(contentsOf: url) }
    }
}
