import Alignment
import Tensors
import Formats
import Testing

/// The model's parameters as a named dictionary: what the lead saves to and loads from safetensors.
@Suite struct ParameterDictionaryTests {
    let config = AlignmentConfig(vocabularySize: 20, featureSize: 16, wordSize: 8, hiddenSize: 6)

    @Test func namesAndShapes() {
        let model = AlignmentModel(config: config, seed: 3)
        #expect(Set(model.parameters.keys) == [
            "region.weight", "region.bias", "words.embedding",
            "sentence.input.weight", "sentence.input.bias",
            "sentence.forward.weight", "sentence.forward.bias",
            "sentence.backward.weight", "sentence.backward.bias",
            "sentence.output.weight", "sentence.output.bias",
        ])
        #expect(model.parameters["region.weight"]!.shape == [6, 16])
        #expect(model.parameters["words.embedding"]!.shape == [20, 8])
        #expect(model.parameters["sentence.input.weight"]!.shape == [6, 8])
        #expect(model.parameters["sentence.forward.weight"]!.shape == [6, 6])
        #expect(model.parameters["sentence.output.bias"]!.shape == [6])
        // Biases start at zero, matrices don't.
        #expect(model.parameters["region.bias"]!.data.allSatisfy { $0 == 0 })
        #expect(model.parameters["sentence.backward.weight"]!.data.contains { $0 != 0 })
    }

    @Test func seedsAreReproducible() {
        #expect(AlignmentModel(config: config, seed: 5).parameters == AlignmentModel(config: config, seed: 5).parameters)
        #expect(AlignmentModel(config: config, seed: 5).parameters != AlignmentModel(config: config, seed: 6).parameters)
    }

    @Test func roundTripAndInferredConfig() throws {
        let model = AlignmentModel(config: config, seed: 7)
        let reloaded = try AlignmentModel(parameters: model.parameters)
        #expect(reloaded.config == config)
        #expect(reloaded.parameters == model.parameters)
        let sentence = [3, 4, 5]
        let regions = Tensor(shape: [4, 16], data: (0..<64).map { Float($0 % 7) })
        #expect(reloaded.score(regions: regions, sentence: sentence) == model.score(regions: regions, sentence: sentence))
    }

    @Test func rejectsMissingExtraAndMisshapenTensors() {
        let good = AlignmentModel(config: config, seed: 7).parameters
        var missing = good
        missing["sentence.backward.bias"] = nil
        #expect(throws: ParameterError.missingParameter("sentence.backward.bias")) {
            try AlignmentModel(config: config, parameters: missing)
        }
        var extra = good
        extra["decoder.weight"] = Tensor(shape: [1], data: [0])
        #expect(throws: ParameterError.unexpectedParameter("decoder.weight")) {
            try AlignmentModel(config: config, parameters: extra)
        }
        var misshapen = good
        misshapen["sentence.output.weight"] = Tensor(shape: [6, 5], repeating: 0)
        #expect(throws: ParameterError.wrongShape("sentence.output.weight", expected: [6, 6], found: [6, 5])) {
            try AlignmentModel(config: config, parameters: misshapen)
        }
    }

    @Test func wordEmbeddingCanStartFromTheCaptioner() {
        let embedding = Tensor(shape: [20, 8], data: (0..<160).map { Float($0) / 160 })
        let model = AlignmentModel(config: config, seed: 1, wordEmbedding: embedding)
        #expect(model.parameters["words.embedding"] == embedding)
        // Everything else is the same random draw as without it.
        let plain = AlignmentModel(config: config, seed: 1)
        #expect(model.parameters["sentence.input.weight"] == plain.parameters["sentence.input.weight"])
    }
}
