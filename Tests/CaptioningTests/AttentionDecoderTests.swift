import Captioning
import Foundation
import Tensors
import Testing
import Text

/// The Show-Attend-Tell decoder: its hand-written backward pass against finite differences,
/// its step-by-step decoding against its training forward pass, and its attention maps.
struct AttentionDecoderTests {
    /// V = 7, E = 5, H = 4, F = 6 per region, L = 3 regions, A = 5.
    static func config(dropout: Float = 0, penalty: Float = 1, initScale: Float = 0.5) -> CaptionModel.Config {
        CaptionModel.Config(vocabularySize: 7, embeddingSize: 5, hiddenSize: 4, dropout: dropout, featureSize: 6,
                            initScale: initScale, decoder: .attention, regionCount: 3, attentionSize: 5,
                            attentionPenalty: penalty)
    }

    static func regions(batch: Int, seed: UInt64 = 7) -> Tensor {
        ModelFixtures.features(batch: batch, size: 3 * 6, seed: seed)
    }

    @Test("Backpropagation matches finite differences for every attention parameter", arguments: [Float(0), 1])
    func everyParameter(penalty: Float) {
        let model = ModelFixtures.model(Self.config(penalty: penalty))
        #expect(model.parameters.count == 14)
        let result = GradientCheckTests.mismatches(model: model, features: Self.regions(batch: 3),
                                                   captions: ModelFixtures.tinyCaptions, training: false)
        #expect(result.checked == model.parameters.count * 11)
        #expect(result.mismatches.isEmpty, "\(result.mismatches)")
    }

    @Test("Backpropagation matches finite differences with dropout masks fixed by the seed")
    func withDropout() {
        let model = ModelFixtures.model(Self.config(dropout: 0.3))
        let result = GradientCheckTests.mismatches(model: model, features: Self.regions(batch: 3),
                                                   captions: ModelFixtures.tinyCaptions, training: true)
        #expect(result.mismatches.isEmpty, "\(result.mismatches)")
    }

    @Test("The penalty is λ Σ_i (1 − Σ_t α_ti)², in the training objective only")
    func penaltyEntersTheObjective() {
        let captions = ModelFixtures.tinyCaptions, features = Self.regions(batch: 3)
        let without = ModelFixtures.model(Self.config(penalty: 0)), with = ModelFixtures.model(Self.config(penalty: 2))
        var rng = SplitMix64(seed: 1)
        let plain = without.loss(features: features, captions: captions, rng: &rng, training: false)
        let penalized = with.loss(features: features, captions: captions, rng: &rng, training: false)
        // Recompute the penalty from the maps the decoder reports.
        var penalty: Double = 0
        for (b, words) in captions.enumerated() {
            let maps = with.attention(of: words, feature: Tensor(shape: [18], data: Array(features.data[(b * 18)..<((b + 1) * 18)])))
            for i in 0..<3 {
                let coverage = maps.reduce(0) { $0 + Double($1[i]) }
                penalty += 2 * (1 - coverage) * (1 - coverage)
            }
        }
        #expect(abs(Double(penalized.loss - plain.loss) - penalty / Double(plain.tokens)) < 1e-5)
        // The exact loss (perplexity) is the cross-entropy alone.
        #expect(abs(with.loss(features: features, captions: captions).loss - plain.loss) < 1e-6)
    }

    @Test("Splitting the batch across workers gives the same loss and gradients")
    func workersAgree() {
        let model = ModelFixtures.model(Self.config(dropout: 0.4, initScale: 0.08))
        let captions = [[3, 4, 5], [6], [2, 6, 3, 4, 3], [], [2, 2], [5, 6, 4]]
        let features = Self.regions(batch: captions.count)
        var rng1 = SplitMix64(seed: 3), rng3 = SplitMix64(seed: 3)
        let one = model.loss(features: features, captions: captions, rng: &rng1, training: true, workers: 1)
        let three = model.loss(features: features, captions: captions, rng: &rng3, training: true, workers: 3)
        #expect(abs(one.loss - three.loss) < 1e-6)
        for (name, g) in one.gradients {
            #expect(zip(g.data, three.gradients[name]!.data).allSatisfy { abs($0 - $1) < 1e-6 }, "\(name)")
        }
    }

    @Test("Decoding step by step scores a caption as training's forward pass does")
    func stepsMatchTeacherForcing() {
        let model = ModelFixtures.model(Self.config(initScale: 0.3))
        let features = Self.regions(batch: 3)
        for (b, words) in ModelFixtures.tinyCaptions.enumerated() {
            let feature = Tensor(shape: [18], data: Array(features.data[(b * 18)..<((b + 1) * 18)]))
            let stepped = model.logProbability(of: words, feature: feature)
            let forced = model.loss(features: feature.reshaped([1, 18]), captions: [words])
            #expect(abs(Double(stepped) + Double(forced.loss) * Double(forced.tokens)) < 1e-4)
        }
    }

    @Test("Rows of a batch, reordered as beam search reorders them, keep their own images")
    func rowsKeepTheirImages() {
        let model = ModelFixtures.model(Self.config(initScale: 0.3))
        let features = Self.regions(batch: 2)
        let both = model.initialState(feature: features)
        let second = model.initialState(feature: Tensor(shape: [18], data: Array(features.data[18...])))
        // Row 1 duplicated and moved first, as a beam of image 1 that took two places.
        let reordered = both.selecting(rows: [1, 1, 0])
        let stepped = model.step(reordered, tokens: [1, 4, 1]).logProbs
        let alone = model.step(second, tokens: [1]).logProbs
        #expect(zip(stepped.data.prefix(7), alone.data).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("Attention maps: one per word and <end>, each a distribution over the regions")
    func mapsAreDistributions() {
        var model = ModelFixtures.model(Self.config(initScale: 0.5))
        // Keys start small (so tanh does not saturate on strong regions); at full scale the
        // regions' scores differ enough to see the maps move.
        let keys = CaptionModel.attentionKeysWeightName
        model.parameters[keys]!.data = model.parameters[keys]!.data.map { $0 * 10 }
        let maps = model.attention(of: [3, 5, 2], feature: Self.regions(batch: 1).reshaped([18]))
        #expect(maps.count == 4)
        for map in maps {
            #expect(map.count == 3)
            #expect(map.allSatisfy { $0 >= 0 })
            #expect(abs(map.reduce(0, +) - 1) < 1e-5)
        }
        // A query that depends on the words moves the attention between steps.
        #expect(zip(maps[0], maps[1]).contains { abs($0 - $1) > 1e-4 })
    }

    @Test("An ensemble of attention members decodes as the mean of their probabilities")
    func ensembleOfAttentionMembers() throws {
        let a = ModelFixtures.model(Self.config(initScale: 0.3), seed: 1)
        let b = ModelFixtures.model(Self.config(initScale: 0.3), seed: 2)
        let ensemble = try CaptionEnsemble([a, b])
        let feature = Self.regions(batch: 1).reshaped([18])
        let words = [3, 5, 2]
        let mixed = ensemble.logProbabilities(of: words, feature: feature)
        let pa = a.logProbabilities(of: words, feature: feature), pb = b.logProbabilities(of: words, feature: feature)
        for k in mixed.indices {
            #expect(abs(mixed[k] - log((exp(pa[k]) + exp(pb[k])) / 2)) < 1e-5)
        }
    }

    @Test("A model file keeps the decoder kind and reads back the same model")
    func fileRoundTrip() throws {
        let spec = ImageFeatureSpec(pooling: .regions, mean: [Float](repeating: 0.5, count: 512),
                                    std: [Float](repeating: 2, count: 512))
        var config = Self.config(initScale: 0.3)
        config.featureSize = 512
        config.regionCount = 49
        let real = ModelFixtures.model(config)
        let vocabulary = try Vocabulary(serialized: "<end>\n<start>\n<unk>\na\nb\nc\nd")
        let file = CaptionModelFile(model: real, vocabulary: vocabulary, tokenizer: Tokenizer(mode: .words), features: spec)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attention-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try file.write(to: url)
        let read = try CaptionModelFile.read(contentsOf: url)
        #expect(read.model.config == config)
        #expect(read.model.parameters == real.parameters)
        #expect(read.features == spec)
    }
}
