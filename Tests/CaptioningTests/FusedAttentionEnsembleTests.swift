import Captioning
import Foundation
import Tensors
import Testing

/// The packed attention decoder against the reference, ``CaptionEnsemble`` over the same members
/// stepping on their own weights: the same states, probabilities, attention maps and captions.
@Suite struct FusedAttentionEnsembleTests {
    /// H = 70 leaves the last unit block partial; A = 11 and V = 300 leave padding in their last
    /// panels; F = 6; each member on its own grid.
    static func config(regions: Int) -> CaptionModel.Config {
        CaptionModel.Config(vocabularySize: 300, embeddingSize: 9, hiddenSize: 70, dropout: 0, featureSize: 6,
                            initScale: 0.3, decoder: .attention, regionCount: regions, attentionSize: 11)
    }

    /// Members on 4, 9 and 4 regions reading columns 0..<24, 24..<78 and 0..<24 of a row (the
    /// first and third share their regions, as pool5 members do). With `float16`, every weight is
    /// rounded to a float16 first, as a shipped file's are, so the packed weights stay float16.
    static func members(float16: Bool) -> [CaptionModel] {
        [(4, 30), (9, 31), (4, 32)].map { regions, seed in
            var model = ModelFixtures.model(config(regions: regions), seed: UInt64(seed))
            if float16 {
                for (name, tensor) in model.parameters {
                    model.parameters[name] = Tensor(shape: tensor.shape, data: tensor.data.map { Float(Float16($0)) })
                }
            }
            return model
        }
    }

    static let columns = [0..<24, 24..<78, 0..<24]

    static func packed(_ members: [CaptionModel]) -> FusedAttentionEnsemble {
        var copies = members
        return FusedAttentionEnsemble(packing: &copies, inputColumns: columns)
    }

    static func expectClose(_ a: Tensor, _ b: Tensor, tolerance: Float = 2e-5, _ what: String) {
        #expect(a.shape == b.shape, "\(what): shapes \(a.shape) vs \(b.shape)")
        let worst = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): differs by \(worst)")
    }

    /// Rows of several images, in an order beam search could leave them, at every row count
    /// the panel kernels treat apart.
    @Test(arguments: [false, true], [1, 3, 7, 13])
    func stepsMatchTheReference(float16: Bool, rows: Int) throws {
        let members = Self.members(float16: float16)
        let reference = try CaptionEnsemble(members, inputColumns: Self.columns)
        let fused = Self.packed(members)
        let images = ModelFixtures.features(batch: 3, size: 78, seed: 40)
        var expected = reference.initialState(feature: images)
        var state = fused.initialState(feature: images)
        Self.expectClose(state.hidden, expected.hidden, "initial h")
        Self.expectClose(state.memory!, expected.memory!, "initial c")
        for (got, want) in zip(state.images!.keys, expected.images!.keys) { Self.expectClose(got, want, "keys") }
        let order = (0..<rows).map { ($0 * 2 + 1) % 3 }
        expected = expected.selecting(rows: order)
        state = state.selecting(rows: order)
        var tokens = (0..<rows).map { ($0 * 37 + 1) % 300 }
        for step in 0..<3 {
            let (want, wantLogProbs) = reference.step(expected, tokens: tokens)
            let (got, logProbs) = fused.step(state, tokens: tokens)
            Self.expectClose(got.hidden, want.hidden, "step \(step) h")
            Self.expectClose(got.memory!, want.memory!, "step \(step) c")
            Self.expectClose(logProbs, wantLogProbs, "step \(step) log p")
            // On one thread (as each of `caption batch`'s searches runs it): the same step.
            let (alone, aloneLogProbs) = fused.sharingCores(Parallel.workers * 2).step(state, tokens: tokens)
            Self.expectClose(alone.hidden, got.hidden, tolerance: 1e-6, "step \(step) one thread h")
            Self.expectClose(aloneLogProbs, logProbs, tolerance: 1e-5, "step \(step) one thread log p")  // the shares merge in another order
            (expected, state) = (want, got)
            tokens = tokens.map { ($0 * 7 + 3) % 300 }
        }
    }

    @Test func beamSearchAndAttentionMapsMatchTheReference() throws {
        let members = Self.members(float16: true)
        let reference = try CaptionEnsemble(members, inputColumns: Self.columns)
        let fused = Self.packed(members)
        let search = BeamSearch(beamSize: 3, nBest: 3, maxLength: 8)
        let rows = ModelFixtures.features(batch: 4, size: 78, seed: 41)
        let photos: [Tensor?] = (0..<4).map { rows.selectingRows([$0]).reshaped([78]) }
        let alone = photos.map { search.search(fused, feature: $0) }
        for (photo, captions) in zip(photos, alone) {
            let expected = search.search(reference, feature: photo)
            #expect(captions.map(\.words) == expected.map(\.words))
            for (got, want) in zip(captions, expected) { #expect(abs(got.logProbability - want.logProbability) < 1e-4) }
        }
        let lockstep = CaptionDecoding.beam(search).captions(fused, features: photos)
        #expect(lockstep.map { $0.map(\.words) } == alone.map { $0.map(\.words) })
        // The maps: the mean of the members on the first member's grid (members 1 and 3).
        let words = alone[0][0].words
        let maps = fused.attention(of: words, feature: photos[0]!)
        let expectedMaps = reference.attention(of: words, feature: photos[0]!)!
        #expect(maps.count == words.count + 1 && maps.allSatisfy { $0.count == 4 })
        for (got, want) in zip(maps, expectedMaps) {
            #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-5 }, "\(got) vs \(want)")
            #expect(abs(got.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test func onlyAttentionMembersOfOneSizePack() {
        let members = Self.members(float16: false)
        #expect(FusedAttentionEnsemble.canPack(members))
        var wider = Self.config(regions: 4)
        wider.hiddenSize = 72
        #expect(!FusedAttentionEnsemble.canPack(members + [ModelFixtures.model(wider)]))
        #expect(!FusedAttentionEnsemble.canPack(members + [ModelFixtures.model(ModelFixtures.tinyConfig(cell: .lstm))]))
        #expect(!FusedAttentionEnsemble.canPack([]))
    }
}
