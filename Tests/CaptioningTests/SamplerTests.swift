import Captioning
import Foundation
import Tensors
import Testing

/// Greedy decoding and sampling.
struct SamplerTests {
    @Test("Greedy takes the most likely allowed token at every step")
    func greedyIsArgmax() {
        for seed in UInt64(0)..<5 {
            let (model, feature) = BeamSearchTests.tinyModel(seed: seed)
            let caption = Sampler(maxLength: 8).greedy(model, feature: feature)
            var (state, logProbs) = model.step(model.initialState(feature: feature), tokens: [CaptionModel.startToken])
            let tokens = caption.words + (caption.finished ? [CaptionModel.endToken] : [])
            for (k, token) in tokens.enumerated() {
                var allowed = Array(logProbs.data)
                allowed[CaptionModel.startToken] = -.infinity
                allowed[CaptionModel.unknownToken] = -.infinity
                if k == 0 { allowed[CaptionModel.endToken] = -.infinity }
                #expect(token == allowed.indices.max { allowed[$0] < allowed[$1] }!, "seed \(seed), step \(k)")
                #expect(caption.tokenLogProbabilities[k] == logProbs.data[token])
                if token != CaptionModel.endToken { (state, logProbs) = model.step(state, tokens: [token]) }
            }
        }
    }

    @Test("Sampling is reproducible from the seed, and near-greedy at low temperature")
    func samplingSeedAndTemperature() {
        let (model, feature) = BeamSearchTests.tinyModel(seed: 5)
        let sampler = Sampler(maxLength: 8)
        var a = SplitMix64(seed: 1), b = SplitMix64(seed: 1)
        let first = (0..<10).map { _ in sampler.sample(model, feature: feature, rng: &a) }
        let second = (0..<10).map { _ in sampler.sample(model, feature: feature, rng: &b) }
        #expect(first == second)
        #expect(Set(first.map(\.words)).count > 1, "temperature 1 should vary")
        var c = SplitMix64(seed: 2)
        let greedy = sampler.greedy(model, feature: feature)
        for _ in 0..<10 {
            #expect(sampler.sample(model, feature: feature, temperature: 0.01, rng: &c).words == greedy.words)
        }
    }

    @Test("First-word frequencies follow the model's probabilities over allowed words")
    func firstWordFrequencies() {
        let (model, feature) = BeamSearchTests.tinyModel(seed: 6)
        let logProbs = model.step(model.initialState(feature: feature), tokens: [CaptionModel.startToken]).logProbs
        // The first token may only be a word (3…6): renormalize over those.
        let words = Array(3...6)
        let mass = words.map { exp(Double(logProbs.data[$0])) }
        let expected = mass.map { $0 / mass.reduce(0, +) }
        var rng = SplitMix64(seed: 3)
        var counts = [Int](repeating: 0, count: 4)
        let draws = 4000
        for _ in 0..<draws {
            // maxLength 2 counts <end>: one word, then <end> or nothing.
            let caption = Sampler(maxLength: 2).sample(model, feature: feature, rng: &rng)
            #expect(caption.words.count == 1)
            counts[caption.words[0] - 3] += 1
        }
        for k in 0..<4 {
            // 4 standard deviations of a binomial proportion.
            let sigma = (expected[k] * (1 - expected[k]) / Double(draws)).squareRoot()
            #expect(abs(Double(counts[k]) / Double(draws) - expected[k]) < 4 * sigma + 1e-3,
                    "word \(k + 3): \(counts[k]) of \(draws), expected p \(expected[k])")
        }
    }

    @Test("Sampled captions report the model's own log-probabilities")
    func sampledLogProbabilitiesRescore() {
        let (model, feature) = BeamSearchTests.tinyModel(seed: 7)
        var rng = SplitMix64(seed: 4)
        for _ in 0..<10 {
            let caption = Sampler(maxLength: 6).sample(model, feature: feature, temperature: 1.5, rng: &rng)
            let rescored = model.logProbabilities(of: caption.words, feature: feature, finished: caption.finished)
            #expect(zip(rescored, caption.tokenLogProbabilities).allSatisfy { abs($0 - $1) < 1e-5 })
            #expect(caption.score == caption.logProbability)
        }
    }

    @Test("Decoding many images at once gives each its own greedy caption; K samples an image, reproducibly")
    func batchedDecoding() {
        let models = (UInt64(0)..<4).map { BeamSearchTests.tinyModel(seed: $0) }
        let model = models[0].0
        let features: [Tensor?] = models.map { $0.1 }
        let sampler = Sampler(maxLength: 6)
        let together = sampler.greedy(model, features: features)
        for (feature, caption) in zip(features, together) {
            let alone = sampler.greedy(model, feature: feature)
            #expect(caption.words == alone.words)
            #expect(zip(caption.tokenLogProbabilities, alone.tokenLogProbabilities).allSatisfy { abs($0 - $1) < 1e-5 })
        }
        var a = SplitMix64(seed: 4), b = SplitMix64(seed: 4)
        let first = sampler.sample(model, features: features, count: 3, rng: &a)
        #expect(first.count == 4 && first.allSatisfy { $0.count == 3 })
        #expect(first == sampler.sample(model, features: features, count: 3, rng: &b))
        #expect(Set(first.flatMap { $0.map(\.words) }).count > 2, "samples should vary")
        // Each sample's reported log-probabilities are the model's own for its words.
        for (feature, captions) in zip(features, first) {
            for caption in captions {
                let expected = model.logProbabilities(of: caption.words, feature: feature, finished: caption.finished)
                #expect(zip(caption.tokenLogProbabilities, expected).allSatisfy { abs($0 - $1) < 1e-5 })
            }
        }
    }
}
