import Captioning
import Foundation
import Tensors
import Testing
import Text

/// An ensemble's next-word distribution is the mean of its members' (p = (1/M) Σ p_m), for
/// every step of every beam, and survives the trip through a model file.
@Suite struct EnsembleTests {
    static let config = ModelFixtures.tinyConfig(cell: .lstm)
    static let first = ModelFixtures.model(config, seed: 1)
    static let second = ModelFixtures.model(config, seed: 2)
    static let feature = ModelFixtures.feature(size: config.featureSize)

    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func stepLogProbsAreTheLogOfTheMeanProbability(cell: CellKind) throws {
        let config = ModelFixtures.tinyConfig(cell: cell)
        let a = ModelFixtures.model(config, seed: 3), b = ModelFixtures.model(config, seed: 4)
        let ensemble = try CaptionEnsemble([a, b])
        let words = [3, 5, 6, 4]
        let pa = a.logProbabilities(of: words, feature: Self.feature)
        let pb = b.logProbabilities(of: words, feature: Self.feature)
        let mixed = ensemble.logProbabilities(of: words, feature: Self.feature)
        #expect(mixed.count == words.count + 1)
        for t in mixed.indices {
            let expected = log((exp(Double(pa[t])) + exp(Double(pb[t]))) / 2)
            #expect(abs(Double(mixed[t]) - expected) < 1e-5, "step \(t): \(mixed[t]) vs \(expected)")
        }
    }

    /// Beam search reorders the members' states together: each beam of an ensemble of a model
    /// with itself must be exactly that model's beam.
    @Test func ensembleOfAModelWithItselfSearchesLikeIt() throws {
        let search = BeamSearch(beamSize: 4, nBest: 4, maxLength: 6)
        let single = search.search(Self.first, feature: Self.feature)
        let doubled = search.search(try CaptionEnsemble([Self.first, Self.first]), feature: Self.feature)
        #expect(single.map(\.words) == doubled.map(\.words))
        for (s, d) in zip(single, doubled) { #expect(abs(s.logProbability - d.logProbability) < 1e-5) }
    }

    @Test func beamScoresMatchRescoringByTheEnsemble() throws {
        let ensemble = try CaptionEnsemble([Self.first, Self.second])
        for caption in BeamSearch(beamSize: 3, nBest: 3, maxLength: 6).search(ensemble, feature: Self.feature) {
            let rescored = ensemble.logProbability(of: caption.words, feature: Self.feature, finished: caption.finished)
            #expect(abs(rescored - caption.logProbability) < 1e-4)
        }
    }

    @Test func modelFileKeepsItsMembers() throws {
        let vocabulary = try Vocabulary(words: ["a", "dog", "runs", "cat"])
        let spec: ImageFeatureSpec? = nil  // the tiny model's 6-wide features match no pooling
        var file = CaptionModelFile(model: Self.first, vocabulary: vocabulary, tokenizer: Tokenizer(mode: .words), features: spec)
        try file.addMember(CaptionModelFile(model: Self.second, vocabulary: vocabulary, tokenizer: Tokenizer(mode: .words),
                                            features: spec))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID().uuidString).safetensors")
        try file.write(to: url)
        let read = try CaptionModelFile.read(contentsOf: url)
        #expect(read.ensemble.count == 1)
        #expect(read.ensemble[0].model.parameters == Self.second.parameters)
        #expect(read.model.parameters == Self.first.parameters)
        let search = BeamSearch(beamSize: 3, maxLength: 6)
        #expect(search.search(read.decoder, feature: Self.feature)
                == search.search(try CaptionEnsemble([Self.first, Self.second]), feature: Self.feature))

        let otherWords = try Vocabulary(words: ["a", "dog", "runs", "bird"])
        #expect(throws: CaptionModelFileError.self) {
            try file.addMember(CaptionModelFile(model: Self.second, vocabulary: otherWords, tokenizer: Tokenizer(mode: .words),
                                                features: spec))
        }
    }
}
