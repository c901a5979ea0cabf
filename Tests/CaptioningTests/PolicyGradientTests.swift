import Captioning
import Foundation
import Tensors
import Testing

/// The REINFORCE gradient of self-critical training, against finite differences of
/// J(θ) = −(1/B) Σ_b A_b log p(y_b | image_b), with log p taken step by step through the
/// decoder (a path independent of teacher forcing).
struct PolicyGradientTests {
    static let advantages: [Float] = [0.7, -1.2, 0.4]

    static func row(_ features: Tensor, _ b: Int) -> Tensor {
        let width = features.shape[1]
        return Tensor(shape: [width], data: Array(features.data[(b * width)..<((b + 1) * width)]))
    }

    /// J(θ) in Double, from the decoder's per-token log-probabilities.
    static func objective(_ model: CaptionModel, features: Tensor, captions: [[Int]], advantages: [Float]) -> Double {
        var total = 0.0
        for (b, words) in captions.enumerated() {
            let logProbabilities = model.logProbabilities(of: words, feature: row(features, b))
            total -= Double(advantages[b]) * logProbabilities.reduce(0.0) { $0 + Double($1) }
        }
        return total / Double(captions.count)
    }

    static func mismatches(_ model: CaptionModel, features: Tensor) -> [GradientCheckTests.Mismatch] {
        let captions = ModelFixtures.tinyCaptions
        let gradients = model.policyGradient(features: features, captions: captions, advantages: advantages, workers: 1).gradients
        #expect(Set(gradients.keys) == Set(model.parameters.keys))
        var picker = SplitMix64(seed: 5)
        var found: [GradientCheckTests.Mismatch] = []
        for name in model.parameters.keys.sorted() {
            let analytic = gradients[name]!.data
            let largest = analytic.indices.max { abs(analytic[$0]) < abs(analytic[$1]) }!
            for index in [largest] + (0..<10).map({ _ in Int(picker.next() % UInt64(analytic.count)) }) {
                var plus = model, minus = model
                plus.parameters[name]!.data[index] += GradientCheckTests.step
                minus.parameters[name]!.data[index] -= GradientCheckTests.step
                let numeric = Float((objective(plus, features: features, captions: captions, advantages: advantages)
                    - objective(minus, features: features, captions: captions, advantages: advantages))
                    / Double(2 * GradientCheckTests.step))
                let a = analytic[index]
                if abs(a - numeric) > GradientCheckTests.relativeTolerance * max(abs(a), abs(numeric)) + GradientCheckTests.absoluteFloor {
                    found.append(.init(name: name, index: index, analytic: a, numeric: numeric))
                }
            }
        }
        return found
    }

    @Test("The policy gradient matches finite differences (show-tell LSTM, dropout configured but off)")
    func showTell() {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: .lstm, dropout: 0.5, initScale: 0.5))
        let found = Self.mismatches(model, features: ModelFixtures.features(batch: 3, size: 6))
        #expect(found.isEmpty, "\(found)")
    }

    @Test("The policy gradient matches finite differences (attention; the coverage penalty stays out)")
    func attention() {
        let model = ModelFixtures.model(AttentionDecoderTests.config(dropout: 0.5, penalty: 2))
        let found = Self.mismatches(model, features: AttentionDecoderTests.regions(batch: 3))
        #expect(found.isEmpty, "\(found)")
    }

    @Test("All-equal rewards (zero advantages) give zero gradients, never NaN; the likelihood is reported")
    func zeroAdvantages() {
        let model = ModelFixtures.model(AttentionDecoderTests.config())
        let features = AttentionDecoderTests.regions(batch: 3)
        let result = model.policyGradient(features: features, captions: ModelFixtures.tinyCaptions, advantages: [0, 0, 0])
        #expect(result.gradients.values.allSatisfy { $0.data.allSatisfy { $0 == 0 } })
        let expected = -Self.objective(model, features: features, captions: ModelFixtures.tinyCaptions,
                                       advantages: [-1, -1, -1])
        #expect(abs(Double(result.negativeLogLikelihood) - expected) < 1e-4)
    }
}
