import Captioning
import Foundation
import Tensors
import Testing

/// The step API: which step predicts what, batching, normalization.
struct IncrementalDecodingTests {
    @Test("The <start> step after the image step predicts the first word; each word predicts the next")
    func stepSemantics() {
        let (model, feature) = BeamSearchTests.tinyModel(seed: 8)
        let words = [4, 6, 5]
        let scored = model.logProbabilities(of: words, feature: feature)
        #expect(scored.count == 4)
        let initial = model.initialState(feature: feature)
        #expect(initial.batchSize == 1)
        var (state, logProbs) = model.step(initial, tokens: [CaptionModel.startToken])
        for (k, token) in (words + [CaptionModel.endToken]).enumerated() {
            #expect(logProbs.data[token] == scored[k])
            if token != CaptionModel.endToken { (state, logProbs) = model.step(state, tokens: [token]) }
        }
        // The image matters: another image changes the first word's distribution.
        let other = model.step(model.initialState(feature: ModelFixtures.feature(size: 6, seed: 1234)),
                               tokens: [CaptionModel.startToken]).logProbs
        let first = model.step(initial, tokens: [CaptionModel.startToken]).logProbs
        #expect(other != first)
    }

    @Test("Log-probabilities are normalized over the vocabulary")
    func normalized() {
        let (model, feature) = BeamSearchTests.tinyModel(seed: 9)
        let features = ModelFixtures.features(batch: 4, size: 6)
        let logProbs = model.step(model.initialState(feature: features), tokens: [1, 3, 4, 2]).logProbs
        #expect(logProbs.shape == [4, 7])
        for row in 0..<4 {
            let total = logProbs.data[(row * 7)..<((row + 1) * 7)].reduce(0) { $0 + exp(Double($1)) }
            #expect(abs(total - 1) < 1e-5)
        }
        _ = feature
    }

    @Test("A batched initial state equals per-image initial states")
    func batchedInitialState() {
        let (model, _) = BeamSearchTests.tinyModel(seed: 10)
        let features = ModelFixtures.features(batch: 3, size: 6)
        let batch = model.initialState(feature: features)
        #expect(batch.batchSize == 3)
        for row in 0..<3 {
            let single = model.initialState(feature: features.selectingRow(row).reshaped([6]))
            #expect(zip(single.hidden.data, batch.hidden.data[(row * 4)..<((row + 1) * 4)]).allSatisfy { abs($0 - $1) < 1e-6 })
            #expect(zip(single.memory!.data, batch.memory!.data[(row * 4)..<((row + 1) * 4)]).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }
}
