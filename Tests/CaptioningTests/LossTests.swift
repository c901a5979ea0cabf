import Captioning
import Foundation
import Tensors
import Testing
import Learning

/// The training loss: its starting value, that it can be driven down, and that it agrees with
/// the incremental decoder's scoring.
struct LossTests {
    @Test("A fresh model's loss is ≈ log V", arguments: CellKind.allCases)
    func initialLossIsLogV(cell: CellKind) {
        let config = CaptionModel.Config(vocabularySize: 100, embeddingSize: 32, hiddenSize: 32, cell: cell,
                                         featureSize: 16)
        let model = ModelFixtures.model(config)
        let captions = (0..<8).map { b in (0..<(3 + b)).map { 3 + ($0 * 7 + b * 13) % 97 } }
        let features = ModelFixtures.features(batch: 8, size: 16)
        let (loss, tokens) = model.loss(features: features, captions: captions)
        #expect(tokens == captions.reduce(0) { $0 + $1.count + 1 })
        #expect(abs(loss - log(100)) < 0.05, "loss \(loss) vs log V \(log(100.0))")
    }

    @Test("Adam drives the loss of a tiny batch to ≈ 0", arguments: CellKind.allCases)
    func overfitsTinyBatch(cell: CellKind) {
        let config = CaptionModel.Config(vocabularySize: 12, embeddingSize: 16, hiddenSize: 16, cell: cell,
                                         dropout: 0, featureSize: 8)
        var model = ModelFixtures.model(config)
        // Two images share a first word, so the image must be used to tell them apart.
        let captions = [[3, 4, 5, 6], [3, 7, 8], [9, 10, 11, 4, 2], [6, 5]]
        let features = ModelFixtures.features(batch: 4, size: 8)
        var optimizer = Adam(learningRate: 1e-2)
        var rng = SplitMix64(seed: 1)
        let first = model.loss(features: features, captions: captions).loss
        for _ in 0..<300 {
            var (_, gradients, _) = model.loss(features: features, captions: captions, rng: &rng, training: true)
            GradientClipping.clipGlobalNorm(&gradients, maxNorm: 5)
            optimizer.step(&model.parameters, gradients: gradients)
        }
        let last = model.loss(features: features, captions: captions).loss
        #expect(first > 2)
        #expect(last < 0.02, "loss \(first) → \(last)")
        // Overfit means greedy decoding reproduces each caption.
        for (b, caption) in captions.enumerated() {
            let feature = Tensor(shape: [8], data: Array(features.data[(b * 8)..<((b + 1) * 8)]))
            let decoded = Sampler().greedy(model, feature: feature)
            // <unk> (2) is never emitted, so the third caption is reproduced up to it.
            let expected = caption.contains(2) ? Array(caption.prefix { $0 != 2 }) : caption
            #expect(Array(decoded.words.prefix(expected.count)) == expected)
        }
    }

    @Test("Teacher-forced loss equals the decoder's log-probability of the same caption",
          arguments: CellKind.allCases, [false, true])
    func lossMatchesIncrementalScoring(cell: CellKind, textOnly: Bool) {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: cell, textOnly: textOnly, initScale: 0.5))
        for (b, caption) in ModelFixtures.tinyCaptions.enumerated() {
            let features = ModelFixtures.features(batch: 1, size: 6, seed: UInt64(b))
            let (loss, tokens) = model.loss(features: textOnly ? nil : features, captions: [caption])
            let scored = model.logProbability(of: caption, feature: textOnly ? nil : features.reshaped([6]))
            #expect(tokens == caption.count + 1)
            #expect(abs(loss * Float(tokens) + scored) < 1e-5 * max(1, abs(scored)), "\(loss * Float(tokens)) vs \(-scored)")
        }
    }

    @Test("The batch loss is the token-weighted mean of the captions' losses")
    func batchLossIsTokenMean() {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: .lstm, initScale: 0.5))
        let captions = ModelFixtures.tinyCaptions + [[]]
        let features = ModelFixtures.features(batch: captions.count, size: 6)
        let batch = model.loss(features: features, captions: captions)
        var sum: Float = 0
        for (b, caption) in captions.enumerated() {
            let row = Tensor(shape: [1, 6], data: Array(features.data[(b * 6)..<((b + 1) * 6)]))
            let single = model.loss(features: row, captions: [caption])
            sum += single.loss * Float(single.tokens)
        }
        #expect(batch.tokens == 10)
        #expect(abs(batch.loss - sum / 10) < 1e-5)
    }

    @Test("Captions padded with <end> (0) give the same loss and gradients as unpadded ones")
    func paddedCaptions() {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: .gru, initScale: 0.5))
        let features = ModelFixtures.features(batch: 3, size: 6)
        let padded = ModelFixtures.tinyCaptions.map { $0 + [Int](repeating: 0, count: 4 - $0.count) }
        var a = SplitMix64(seed: 1), b = SplitMix64(seed: 1)
        let plain = model.loss(features: features, captions: ModelFixtures.tinyCaptions, rng: &a, training: true)
        let fromPadded = model.loss(features: features, captions: padded, rng: &b, training: true)
        #expect(plain.loss == fromPadded.loss && plain.tokens == fromPadded.tokens)
        #expect(plain.gradients == fromPadded.gradients)
    }

    @Test("Dropout applies only in training, and its masks follow the seed")
    func dropoutOnlyInTraining() {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: .lstm, dropout: 0.5, initScale: 0.5))
        let features = ModelFixtures.features(batch: 3, size: 6)
        let captions = ModelFixtures.tinyCaptions
        var a = SplitMix64(seed: 4), b = SplitMix64(seed: 4), c = SplitMix64(seed: 5), d = SplitMix64(seed: 4)
        let exact = model.loss(features: features, captions: captions).loss
        let trainingA = model.loss(features: features, captions: captions, rng: &a, training: true).loss
        let trainingB = model.loss(features: features, captions: captions, rng: &b, training: true).loss
        let trainingC = model.loss(features: features, captions: captions, rng: &c, training: true).loss
        let evaluation = model.loss(features: features, captions: captions, rng: &d, training: false).loss
        #expect(trainingA == trainingB)
        #expect(trainingA != trainingC)
        #expect(trainingA != exact)
        #expect(evaluation == exact)
        var untouched = SplitMix64(seed: 4)
        #expect(d.next() == untouched.next(), "no dropout, no draws")
    }
}
