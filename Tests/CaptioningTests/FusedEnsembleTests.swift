import Captioning
import Foundation
import Tensors
import Testing
import Text

/// The packed decoder against the reference: each member's own `CaptionModel.step` on its
/// columns of the state, mixed as p = (1/M) Σ p_m in double precision.
@Suite struct FusedEnsembleTests {
    /// H = 70 and V = 300 fill several panels and blocks and leave the last ones partial, split
    /// over the cores as the shipped model's are; E = 9, F = 6.
    static func config(_ cell: CellKind, textOnly: Bool = false, initScale: Float = 0.5) -> CaptionModel.Config {
        CaptionModel.Config(vocabularySize: 300, embeddingSize: 9, hiddenSize: 70, cell: cell, dropout: 0,
                            featureSize: 6, textOnly: textOnly, initScale: initScale)
    }

    static func members(_ config: CaptionModel.Config, count: Int) -> [CaptionModel] {
        (0..<count).map { ModelFixtures.model(config, seed: 20 + UInt64($0)) }
    }

    static func fused(_ members: [CaptionModel]) -> FusedCaptionEnsemble {
        var copies = members
        return FusedCaptionEnsemble(packing: &copies)
    }

    /// B rows of uniform(−1, 1) state, members side by side.
    static func randomState(rows: Int, width: Int, memory: Bool) -> RecurrentState {
        let hidden = ModelFixtures.features(batch: rows, size: width, seed: 5)
        return RecurrentState(hidden: hidden, memory: memory ? ModelFixtures.features(batch: rows, size: width, seed: 6) : nil)
    }

    static func columns(_ state: RecurrentState, member m: Int, hiddenSize h: Int) -> RecurrentState {
        RecurrentState(hidden: state.hidden.columns((m * h)..<((m + 1) * h)),
                       memory: state.memory?.columns((m * h)..<((m + 1) * h)))
    }

    static func expectClose(_ a: Tensor, _ b: Tensor, tolerance: Float = 1e-5, _ what: String) {
        #expect(a.shape == b.shape, "\(what): shapes \(a.shape) vs \(b.shape)")
        let worst = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): differs by \(worst)")
    }

    /// 3, 5 and 11 rows: whole groups of three rows and the one or two left over.
    @Test(arguments: [CellKind.lstm, .gru, .rnn], [1, 3])
    func stepMatchesTheMembersStepAndTheirMixture(cell: CellKind, count: Int) {
        for tokens in [[1, 3, 299], [1, 3, 299, 7, 3], [1, 3, 299, 7, 3, 4, 5, 6, 200, 100, 8]] {
            Self.expectStepMatches(cell: cell, count: count, tokens: tokens)
        }
    }

    static func expectStepMatches(cell: CellKind, count: Int, tokens: [Int]) {
        let config = Self.config(cell), h = config.hiddenSize, v = config.vocabularySize
        let members = Self.members(config, count: count)
        let fused = Self.fused(members)
        let state = Self.randomState(rows: tokens.count, width: count * h, memory: cell.hasMemory)
        let (next, logProbs) = fused.step(state, tokens: tokens)
        var memberLogProbs: [Tensor] = []
        for (m, member) in members.enumerated() {
            let (expected, lp) = member.step(Self.columns(state, member: m, hiddenSize: h), tokens: tokens)
            let got = Self.columns(next, member: m, hiddenSize: h)
            Self.expectClose(got.hidden, expected.hidden, "\(cell) member \(m) hidden")
            if cell.hasMemory { Self.expectClose(got.memory!, expected.memory!, "\(cell) member \(m) memory") }
            memberLogProbs.append(lp)
        }
        var worst = 0.0
        for k in 0..<(tokens.count * v) {
            let mean = memberLogProbs.map { exp(Double($0.data[k])) }.reduce(0, +) / Double(count)
            worst = max(worst, abs(Double(logProbs.data[k]) - log(mean)))
        }
        #expect(logProbs.shape == [tokens.count, v])
        #expect(worst < 1e-5, "\(cell) × \(count): log p differs by \(worst)")
        // On one thread (as each of `caption batch`'s searches runs it): the same step.
        let (alone, aloneLogProbs) = fused.sharingCores(Parallel.workers * 2).step(state, tokens: tokens)
        Self.expectClose(alone.hidden, next.hidden, tolerance: 0, "\(cell) one thread hidden")
        Self.expectClose(aloneLogProbs, logProbs, tolerance: 1e-5, "\(cell) one thread log p")  // the shares merge in another order
    }

    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func initialStateReadsTheImageIntoEveryMember(cell: CellKind) throws {
        let config = Self.config(cell), h = config.hiddenSize
        let members = Self.members(config, count: 3)
        let features = ModelFixtures.features(batch: 4, size: config.featureSize)
        let state = Self.fused(members).initialState(feature: features)
        for (m, member) in members.enumerated() {
            let expected = member.initialState(feature: features)
            let got = Self.columns(state, member: m, hiddenSize: h)
            Self.expectClose(got.hidden, expected.hidden, "\(cell) member \(m) hidden")
            if cell.hasMemory { Self.expectClose(got.memory!, expected.memory!, "\(cell) member \(m) memory") }
        }
    }

    @Test func textOnlyStartsFromZero() {
        let config = Self.config(.lstm, textOnly: true)
        let members = Self.members(config, count: 2)
        let fused = Self.fused(members)
        let start = fused.initialState(feature: nil)
        #expect(start == RecurrentState.zeros(batch: 1, hiddenSize: 2 * config.hiddenSize, hasMemory: true))
        let reference = try! CaptionEnsemble(members)
        let words = [3, 8, 299]
        let (got, expected) = (fused.logProbabilities(of: words, feature: nil), reference.logProbabilities(of: words, feature: nil))
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(got) vs \(expected)")
    }

    /// Beam search over the packed decoder finds the reference's captions with its scores, for
    /// one photo and for several in lockstep; sampling draws the same words.
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func searchFindsTheReferenceCaptions(cell: CellKind) throws {
        let config = Self.config(cell, initScale: 1.5)
        let members = Self.members(config, count: 3)
        let (fused, reference) = (Self.fused(members), try CaptionEnsemble(members))
        let photos = (0..<3).map { ModelFixtures.feature(size: config.featureSize, seed: 40 + UInt64($0)) }
        let search = BeamSearch(beamSize: 3, nBest: 3, maxLength: 8, lengthPenalty: 0.5, noRepeatNgram: 2)
        let (got, expected) = (search.search(fused, features: photos), search.search(reference, features: photos))
        for (g, e) in zip(got, expected) {
            #expect(g.map(\.words) == e.map(\.words))
            for (a, b) in zip(g, e) { #expect(abs(a.logProbability - b.logProbability) < 1e-4) }
        }
        var (rngA, rngB) = (SplitMix64(seed: 3), SplitMix64(seed: 3))
        let sampler = Sampler(maxLength: 8)
        #expect(sampler.sample(fused, feature: photos[0], rng: &rngA).words
                == sampler.sample(reference, feature: photos[0], rng: &rngB).words)
    }

    /// Packing moves the weights: the file keeps no float32 copy of its own.
    @Test func packingEmptiesTheFilesWeights() throws {
        let config = ModelFixtures.tinyConfig(cell: .lstm)
        let vocabulary = try Vocabulary(words: ["a", "dog", "runs", "cat"])
        var file = CaptionModelFile(model: ModelFixtures.model(config, seed: 1), vocabulary: vocabulary,
                                    tokenizer: Tokenizer(mode: .words), features: nil)
        try file.addMember(CaptionModelFile(model: ModelFixtures.model(config, seed: 2), vocabulary: vocabulary,
                                            tokenizer: Tokenizer(mode: .words), features: nil))
        let decoder = file.packForDecoding()
        #expect(decoder.vocabularySize == 7)
        #expect(file.model.parameters.isEmpty && file.ensemble.allSatisfy { $0.model.parameters.isEmpty })
        #expect(file.ensemble.count == 1 && file.model.config == config)
    }
}
