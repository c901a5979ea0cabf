import Alignment
import Evaluation
import Foundation
import Formats
import Tensors
import Testing
import Text

/// The GRU and LSTM sentence encoders (`AlignmentConfig.sentenceEncoder`): their equations
/// against a one-vector-at-a-time Double reference, their parameter names and initialization,
/// their files, and that an old BRNN file still loads as one.
@Suite struct GatedSentenceEncoderTests {
    static func config(_ encoder: SentenceEncoderKind) -> AlignmentConfig {
        AlignmentConfig(vocabularySize: 13, featureSize: 10, wordSize: 8, hiddenSize: 12, sentenceEncoder: encoder)
    }

    static func model(_ encoder: SentenceEncoderKind, seed: UInt64 = 11) -> AlignmentModel {
        var fixtures = AlignmentFixtures(seed: seed)
        return fixtures.withRandomBiases(AlignmentModel(config: config(encoder), seed: seed))
    }

    // MARK: Forward pass

    /// The cells' equations (see `GatedRecurrence`), one sentence and one vector at a time in
    /// Double: s_t = ReLU(W_d (h^f_t + h^b_t) + b_d).
    struct ReferenceEncoder {
        let parameters: [String: Tensor]
        let encoder: SentenceEncoderKind

        func matrixTimes(_ name: String, _ x: [Double]) -> [Double] {
            let w = parameters[name]!
            let columns = w.shape[1]
            return (0..<w.shape[0]).map { r in (0..<columns).reduce(0) { $0 + Double(w.data[r * columns + $1]) * x[$1] } }
        }

        func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

        /// One step of the direction `prefix` ("sentence.forward" or "sentence.backward").
        func step(_ prefix: String, _ x: [Double], _ h: [Double], _ c: [Double]) -> (h: [Double], c: [Double]) {
            let n = h.count
            let a = matrixTimes("\(prefix).input_weight", x)
            let u = matrixTimes("\(prefix).hidden_weight", h)
            let b = parameters["\(prefix).bias"]!.data.map(Double.init)
            if encoder == .gru {
                return ((0..<n).map { j in
                    let r = sigmoid(a[j] + b[j] + u[j])
                    let z = sigmoid(a[n + j] + b[n + j] + u[n + j])
                    let candidate = Foundation.tanh(a[2 * n + j] + b[2 * n + j] + r * u[2 * n + j])
                    return (1 - z) * candidate + z * h[j]
                }, [])
            }
            var next = (h: [Double](), c: [Double]())
            for j in 0..<n {
                let pre = (0..<4).map { a[$0 * n + j] + u[$0 * n + j] + b[$0 * n + j] }
                let (i, f, o, g) = (sigmoid(pre[0]), sigmoid(pre[1]), sigmoid(pre[2]), Foundation.tanh(pre[3]))
                let memory = f * c[j] + i * g
                next.c.append(memory)
                next.h.append(o * Foundation.tanh(memory))
            }
            return next
        }

        func wordVectors(_ sentence: [Int]) -> [[Double]] {
            let embedding = parameters["words.embedding"]!
            let e = embedding.shape[1], n = parameters["sentence.output.bias"]!.count
            let words = sentence.map { id in (0..<e).map { Double(embedding.data[id * e + $0]) } }
            let zero = [Double](repeating: 0, count: n)
            var forward = [[Double]](), backward = [[Double]](repeating: [], count: sentence.count)
            var state = (h: zero, c: zero)
            for t in sentence.indices {
                state = step("sentence.forward", words[t], state.h, state.c)
                forward.append(state.h)
            }
            state = (zero, zero)
            for t in sentence.indices.reversed() {
                state = step("sentence.backward", words[t], state.h, state.c)
                backward[t] = state.h
            }
            let bias = parameters["sentence.output.bias"]!.data
            return sentence.indices.map { t in
                let summed = zip(forward[t], backward[t]).map { $0 + $1 }
                return zip(matrixTimes("sentence.output.weight", summed), bias).map { max($0 + Double($1), 0) }
            }
        }
    }

    /// Batched (packed, reordered by length, with sentences ending at different steps in both
    /// directions) and one at a time, against the reference.
    @Test(arguments: [SentenceEncoderKind.gru, .lstm])
    func sentenceVectorsFollowTheCellEquations(encoder: SentenceEncoderKind) {
        let model = Self.model(encoder)
        var fixtures = AlignmentFixtures(seed: 12)
        let sentences = [7, 1, 4, 7, 3, 0, 9, 2, 5].map { fixtures.sentence(length: $0, vocabularySize: 13) }
        let reference = ReferenceEncoder(parameters: model.parameters, encoder: encoder)
        let batched = model.embedSentences(sentences, batchSize: 5)
        var largest = 0.0
        for (index, sentence) in sentences.enumerated() {
            let expected = reference.wordVectors(sentence)
            let single = model.embedSentence(sentence)
            #expect(single.shape == [sentence.count, 12])
            #expect(batched[index].shape == single.shape)
            for t in sentence.indices {
                for j in 0..<12 {
                    largest = max(largest, abs(expected[t][j]))
                    #expect(abs(Double(single.data[t * 12 + j]) - expected[t][j]) <= 1e-4 * max(1, abs(expected[t][j])),
                            "s[\(index)][\(t)][\(j)]: \(single.data[t * 12 + j]) vs reference \(expected[t][j])")
                    #expect(abs(batched[index].data[t * 12 + j] - single.data[t * 12 + j]) <= 1e-5,
                            "batched s[\(index)][\(t)][\(j)]")
                }
            }
        }
        // The comparison is not vacuous: the vectors are not all ReLU zeros.
        #expect(largest > 0.05)
    }

    // MARK: Parameters

    @Test(arguments: [(SentenceEncoderKind.gru, 3), (.lstm, 4)])
    func namesShapesAndInitialization(encoder: SentenceEncoderKind, gates: Int) {
        let model = AlignmentModel(config: Self.config(encoder), seed: 3)
        #expect(encoder.gateCount == gates)
        #expect(Set(model.parameters.keys) == [
            "region.weight", "region.bias", "words.embedding",
            "sentence.forward.input_weight", "sentence.forward.hidden_weight", "sentence.forward.bias",
            "sentence.backward.input_weight", "sentence.backward.hidden_weight", "sentence.backward.bias",
            "sentence.output.weight", "sentence.output.bias",
        ])
        #expect(Set(AlignmentParameter.all(for: Self.config(encoder)).map(\.name)) == Set(model.parameters.keys))
        #expect(model.parameters["sentence.forward.input_weight"]!.shape == [gates * 12, 8])
        #expect(model.parameters["sentence.backward.hidden_weight"]!.shape == [gates * 12, 12])
        #expect(model.parameters["sentence.forward.bias"]!.shape == [gates * 12])
        #expect(model.parameters["sentence.output.weight"]!.shape == [12, 12])
        // Input weights uniform with σ = √(1/E): half-width √3 · √(1/8) ≈ 0.61; recurrent √3 · √(1/12) = 0.5.
        let input = model.parameters["sentence.forward.input_weight"]!.data
        let hidden = model.parameters["sentence.backward.hidden_weight"]!.data
        #expect(input.allSatisfy { abs($0) <= 0.613 } && input.contains { abs($0) > 0.5 })
        #expect(hidden.allSatisfy { abs($0) <= 0.5 } && hidden.contains { abs($0) > 0.4 })
        // Biases zero, except an LSTM's forget-gate block (the second of four) at 1.
        for name in ["sentence.forward.bias", "sentence.backward.bias"] {
            let bias = model.parameters[name]!.data
            for (j, value) in bias.enumerated() {
                #expect(value == (encoder == .lstm && (12..<24).contains(j) ? 1 : 0), "\(name)[\(j)]")
            }
        }
    }

    @Test(arguments: [SentenceEncoderKind.gru, .lstm])
    func configIsInferredFromTheParameters(encoder: SentenceEncoderKind) throws {
        let model = AlignmentModel(config: Self.config(encoder), seed: 7)
        let reloaded = try AlignmentModel(parameters: model.parameters)
        #expect(reloaded.config == model.config)
        let regions = Tensor(shape: [4, 10], data: (0..<40).map { Float($0 % 7) })
        #expect(reloaded.score(regions: regions, sentence: [3, 4, 5]) == model.score(regions: regions, sentence: [3, 4, 5]))
    }

    @Test func parametersOfAnotherEncoderAreRejected() {
        let brnn = AlignmentModel(config: Self.config(.brnn), seed: 7).parameters
        let gru = AlignmentModel(config: Self.config(.gru), seed: 7).parameters
        #expect(throws: ParameterError.missingParameter("sentence.forward.input_weight")) {
            try AlignmentModel(config: Self.config(.gru), parameters: brnn)
        }
        #expect(throws: ParameterError.missingParameter("sentence.input.weight")) {
            try AlignmentModel(config: Self.config(.brnn), parameters: gru)
        }
        // A GRU's [3h, ·] weights are not an LSTM's [4h, ·].
        #expect(throws: ParameterError.wrongShape("sentence.forward.input_weight", expected: [48, 8], found: [36, 8])) {
            try AlignmentModel(config: Self.config(.lstm), parameters: gru)
        }
        var extra = gru
        extra["sentence.input.weight"] = brnn["sentence.input.weight"]
        #expect(throws: ParameterError.unexpectedParameter("sentence.input.weight")) {
            try AlignmentModel(config: Self.config(.gru), parameters: extra)
        }
    }

    // MARK: Files

    static func file(_ encoder: SentenceEncoderKind) throws -> AlignmentModelFile {
        let vocabulary = try Vocabulary(words: ["a", "dog", "runs", "on", "the", "beach", "sand", "in", "park"])
        var config = Self.config(encoder)
        config.vocabularySize = vocabulary.count
        var fixtures = AlignmentFixtures(seed: 4)
        let model = fixtures.withRandomBiases(AlignmentModel(config: config, seed: 4))
        return AlignmentModelFile(model: model, vocabulary: vocabulary, tokenizer: Tokenizer())
    }

    @Test(arguments: [SentenceEncoderKind.gru, .lstm])
    func gatedModelRoundTripsThroughItsFile(encoder: SentenceEncoderKind) throws {
        let original = try Self.file(encoder)
        let url = AlignmentModelFileTests.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try original.write(to: url)
        let read = try AlignmentModelFile.read(contentsOf: url)
        #expect(read.model.config.sentenceEncoder == encoder)
        #expect(read.model.config == original.model.config)
        #expect(read.model.parameters == original.model.parameters)
        var fixtures = AlignmentFixtures(seed: 9)
        let regions = fixtures.regions(count: 5, features: 10)
        let sentence = original.encode("a dog runs in the park").ids
        #expect(read.model.score(regions: regions, sentence: sentence) == original.model.score(regions: regions, sentence: sentence))
    }

    /// A file written before the encoder was recorded: its config JSON has no `sentenceEncoder`
    /// (nor the later normalization and grid fields), and it loads as the BRNN it holds.
    @Test func oldBRNNFileLoadsUnchanged() throws {
        let original = try Self.file(.brnn)
        let url = AlignmentModelFileTests.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try original.write(to: url)
        var file = try SafeTensorsFile.read(contentsOf: url)
        let c = original.model.config
        file.metadata["config"] = """
            {"vocabularySize":\(c.vocabularySize),"featureSize":\(c.featureSize),"wordSize":\(c.wordSize),\
            "hiddenSize":\(c.hiddenSize),"margin":\(c.margin),"regularization":\(c.regularization),"scoreSpace":"automatic"}
            """
        try SafeTensorsFile.write(file.tensors, metadata: file.metadata, to: url)
        let read = try AlignmentModelFile.read(contentsOf: url)
        #expect(read.model.config == original.model.config)
        #expect(read.model.config.sentenceEncoder == .brnn)
        #expect(read.model.parameters == original.model.parameters)
        #expect(Set(read.model.parameters.keys).contains("sentence.input.weight"))
    }

    // MARK: Learning

    /// The GRU and the LSTM learn the toy world of `SyntheticLearningTests` with plain SGD: the
    /// ranking loss falls to a small fraction (to 0 in practice) and matching pairs rank first
    /// both ways. The step is 3× the BRNN's: with gates near ½ and tanh-bounded states, a fresh
    /// gated encoder's s_t and so its early gradients are smaller; 1e-3 is still short of
    /// separating every pair after 300 steps.
    @Test(arguments: [SentenceEncoderKind.gru, .lstm])
    func sgdSeparatesMatchingPairs(encoder: SentenceEncoderKind) {
        SyntheticLearningTests.expectSeparated(SyntheticLearningTests.trained(encoder: encoder, learningRate: 3e-3))
    }
}
