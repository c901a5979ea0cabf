import Captioning
import Foundation
import Tensors
import Testing

/// Backpropagation through time against central finite differences of the whole model loss,
/// for every parameter tensor of every cell type.
///
/// Float forward passes carry rounding noise of ~1e-7 relative, so the step is large (1e-2) and
/// the weights are scaled up (init ±0.5) so that gradients are large compared with that noise;
/// the loss itself is accumulated in Double. An entry passes when
/// |analytic − numeric| ≤ 1e-2 · max(|analytic|, |numeric|) + 1e-4 (the floor covers entries
/// whose gradient is ~0). Ten random entries are checked per tensor, plus its largest one.
struct GradientCheckTests {
    static let step: Float = 1e-2
    static let relativeTolerance: Float = 1e-2
    static let absoluteFloor: Float = 1e-4

    struct Mismatch: CustomStringConvertible {
        var name: String, index: Int, analytic: Float, numeric: Float
        var description: String { "\(name)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    /// Checked entries that disagree, and how many entries were checked.
    static func mismatches(model: CaptionModel, features: Tensor?, captions: [[Int]], training: Bool,
                           seed: UInt64 = 99) -> (mismatches: [Mismatch], checked: Int) {
        func loss(_ m: CaptionModel) -> Float {
            var rng = SplitMix64(seed: seed)
            return m.loss(features: features, captions: captions, rng: &rng, training: training, workers: 1).loss
        }
        var rng = SplitMix64(seed: seed)
        let gradients = model.loss(features: features, captions: captions, rng: &rng, training: training,
                                   workers: 1).gradients
        #expect(Set(gradients.keys) == Set(model.parameters.keys))
        var picker = SplitMix64(seed: 5)
        var found: [Mismatch] = []
        var checked = 0
        for name in model.parameters.keys.sorted() {
            let analytic = gradients[name]!.data
            let largest = analytic.indices.max { abs(analytic[$0]) < abs(analytic[$1]) }!
            let indices = [largest] + (0..<10).map { _ in Int(picker.next() % UInt64(analytic.count)) }
            for index in indices {
                var plus = model, minus = model
                plus.parameters[name]!.data[index] += step
                minus.parameters[name]!.data[index] -= step
                let numeric = (loss(plus) - loss(minus)) / (2 * step)
                let a = analytic[index]
                if abs(a - numeric) > relativeTolerance * max(abs(a), abs(numeric)) + absoluteFloor {
                    found.append(Mismatch(name: name, index: index, analytic: a, numeric: numeric))
                }
                checked += 1
            }
        }
        return (found, checked)
    }

    @Test("BPTT matches finite differences for every parameter", arguments: CellKind.allCases)
    func everyParameter(cell: CellKind) {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: cell, initScale: 0.5))
        let features = ModelFixtures.features(batch: 3, size: 6)
        let result = Self.mismatches(model: model, features: features, captions: ModelFixtures.tinyCaptions,
                                     training: false)
        #expect(result.checked == model.parameters.count * 11)
        #expect(result.mismatches.isEmpty, "\(result.mismatches)")
    }

    @Test("BPTT matches finite differences with dropout masks fixed by the seed", arguments: CellKind.allCases)
    func withDropout(cell: CellKind) {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: cell, dropout: 0.3, initScale: 0.5))
        let features = ModelFixtures.features(batch: 3, size: 6)
        let result = Self.mismatches(model: model, features: features, captions: ModelFixtures.tinyCaptions,
                                     training: true)
        #expect(result.mismatches.isEmpty, "\(result.mismatches)")
    }

    @Test("BPTT matches finite differences in text-only mode", arguments: CellKind.allCases)
    func textOnly(cell: CellKind) {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: cell, textOnly: true, initScale: 0.5))
        #expect(model.parameters[CaptionModel.imageProjectionWeightName] == nil)
        let result = Self.mismatches(model: model, features: nil, captions: ModelFixtures.tinyCaptions,
                                     training: false)
        #expect(result.mismatches.isEmpty, "\(result.mismatches)")
    }

    @Test("Splitting the batch across workers gives the same loss and gradients")
    func workersAgree() {
        let config = CaptionModel.Config(vocabularySize: 11, embeddingSize: 6, hiddenSize: 5, cell: .lstm,
                                         dropout: 0.4, featureSize: 4)
        let model = ModelFixtures.model(config)
        let captions = [[3, 4, 5], [6], [7, 8, 9, 10, 3], [], [2, 2], [5, 6, 7]]
        let features = ModelFixtures.features(batch: captions.count, size: 4)
        var rng1 = SplitMix64(seed: 3), rng3 = SplitMix64(seed: 3)
        let one = model.loss(features: features, captions: captions, rng: &rng1, training: true, workers: 1)
        let three = model.loss(features: features, captions: captions, rng: &rng3, training: true, workers: 3)
        #expect(one.tokens == 20 && three.tokens == 20)
        #expect(abs(one.loss - three.loss) < 1e-6)
        for (name, g) in one.gradients {
            let other = three.gradients[name]!
            #expect(zip(g.data, other.data).allSatisfy { abs($0 - $1) < 1e-6 }, "\(name)")
        }
    }
}
