import Captioning
import Foundation
import Tensors
import Testing

/// Beam search against greedy decoding, exhaustive search and the model's own scoring.
struct BeamSearchTests {
    /// V = 7: the 3 specials and 4 words (3…6); weights scaled up (±1.5) so the model's
    /// distributions are far from uniform and the search has real choices to make.
    static func tinyModel(seed: UInt64, cell: CellKind = .lstm) -> (CaptionModel, Tensor) {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: cell, initScale: 1.5), seed: seed)
        return (model, ModelFixtures.feature(size: 6, seed: seed &+ 100))
    }

    /// Every caption of 1…maxWords words (no `<unk>`), finished, with its model score.
    static func exhaustive(_ model: CaptionModel, feature: Tensor, maxWords: Int,
                           lengthPenalty: Float = 0) -> [DecodedCaption] {
        var all: [DecodedCaption] = []
        var frontier: [[Int]] = [[]]
        for _ in 0..<maxWords {
            frontier = frontier.flatMap { prefix in (3...6).map { prefix + [$0] } }
            for words in frontier {
                all.append(DecodedCaption(words: words,
                                          tokenLogProbabilities: model.logProbabilities(of: words, feature: feature),
                                          finished: true, lengthPenalty: lengthPenalty))
            }
        }
        return all.sorted { $0.score > $1.score }
    }

    @Test("Beam size 1 is greedy decoding, exactly", arguments: CellKind.allCases)
    func beamOneIsGreedy(cell: CellKind) {
        for seed in UInt64(0)..<10 {
            let (model, feature) = Self.tinyModel(seed: seed, cell: cell)
            let beam = BeamSearch(beamSize: 1, maxLength: 8).search(model, feature: feature)
            let greedy = Sampler(maxLength: 8).greedy(model, feature: feature)
            #expect(beam == [greedy], "seed \(seed)")
        }
    }

    @Test("A wide beam finds the exhaustive-search optimum", arguments: [Float(0), 0.7])
    func wideBeamIsOptimal(lengthPenalty: Float) {
        for seed in UInt64(0)..<8 {
            let (model, feature) = Self.tinyModel(seed: seed)
            // maxLength 5 tokens: captions of 1…4 words plus <end>, 340 in all.
            let best = Self.exhaustive(model, feature: feature, maxWords: 4, lengthPenalty: lengthPenalty)[0]
            let found = BeamSearch(beamSize: 20, maxLength: 5, lengthPenalty: lengthPenalty)
                .search(model, feature: feature)[0]
            #expect(found.words == best.words, "seed \(seed): \(found.words) vs \(best.words)")
            #expect(abs(found.score - best.score) < 1e-5)
        }
    }

    @Test("A wider beam never finds a worse best caption")
    func widerIsNeverWorse() {
        for seed in UInt64(0)..<12 {
            let (model, feature) = Self.tinyModel(seed: seed)
            var previous = -Float.infinity
            for k in [1, 2, 3, 5, 10, 20] {
                let best = BeamSearch(beamSize: k, maxLength: 8).search(model, feature: feature)[0]
                #expect(best.score >= previous - 1e-6, "seed \(seed), K \(k): \(best.score) < \(previous)")
                previous = best.score
            }
        }
    }

    @Test("n-best is sorted, distinct, and each log-probability rescores under the model",
          arguments: [Float(0), 0.7])
    func nBestRescores(lengthPenalty: Float) {
        for seed in UInt64(0)..<6 {
            let (model, feature) = Self.tinyModel(seed: seed)
            let results = BeamSearch(beamSize: 8, nBest: 5, maxLength: 8, lengthPenalty: lengthPenalty)
                .search(model, feature: feature)
            #expect(results.count == 5)
            #expect(zip(results, results.dropFirst()).allSatisfy { $0.score >= $1.score })
            #expect(Set(results.map(\.words)).count == results.count)
            for caption in results {
                let rescored = model.logProbabilities(of: caption.words, feature: feature, finished: caption.finished)
                #expect(caption.tokenLogProbabilities.count == caption.words.count + (caption.finished ? 1 : 0))
                #expect(zip(rescored, caption.tokenLogProbabilities).allSatisfy { abs($0 - $1) < 1e-5 })
                #expect(abs(caption.logProbability - rescored.reduce(0, +)) < 1e-4)
                let expectedScore = caption.logProbability / pow(Float(caption.tokenLogProbabilities.count), lengthPenalty)
                #expect(abs(caption.score - expectedScore) < 1e-5)
            }
        }
    }

    /// The tiny model with its output bias pushed towards `token` by `amount`.
    static func biased(_ model: CaptionModel, _ adjustments: [Int: Float]) -> CaptionModel {
        var model = model
        for (token, amount) in adjustments { model.parameters["logits.bias"]!.data[token] += amount }
        return model
    }

    @Test("<unk> and <start> are never emitted, even when the model prefers them")
    func neverUnknown() {
        let (base, feature) = Self.tinyModel(seed: 1)
        let model = Self.biased(base, [CaptionModel.unknownToken: 20, CaptionModel.startToken: 19])
        for k in [1, 3, 10] {
            for caption in BeamSearch(beamSize: k, nBest: k, maxLength: 10).search(model, feature: feature) {
                #expect(!caption.words.contains(CaptionModel.unknownToken))
                #expect(!caption.words.contains(CaptionModel.startToken))
            }
        }
        var rng = SplitMix64(seed: 2)
        for _ in 0..<20 {
            let sampled = Sampler(maxLength: 10).sample(model, feature: feature, temperature: 2, rng: &rng)
            #expect(!sampled.words.contains(CaptionModel.unknownToken) && !sampled.words.contains(CaptionModel.startToken))
        }
    }

    @Test("A caption has at least one word even when <end> is the model's first choice")
    func atLeastOneWord() {
        let (base, feature) = Self.tinyModel(seed: 2)
        let model = Self.biased(base, [CaptionModel.endToken: 30])
        for caption in BeamSearch(beamSize: 5, nBest: 3, maxLength: 6).search(model, feature: feature) {
            #expect(caption.words.count == 1 && caption.finished)
        }
        #expect(Sampler().greedy(model, feature: feature).words.count == 1)
    }

    /// Whether `words` has `length` consecutive copies of `word`.
    static func containsRun(_ words: [Int], of word: Int, length: Int) -> Bool {
        var run = 0
        for w in words {
            run = w == word ? run + 1 : 0
            if run >= length { return true }
        }
        return false
    }

    @Test("noRepeatNgram blocks 'dog dog dog'")
    func noRepeatNgram() {
        let dog = 3
        let (base, feature) = Self.tinyModel(seed: 3)
        let model = Self.biased(base, [dog: 20, CaptionModel.endToken: -20])
        let free = BeamSearch(beamSize: 3, maxLength: 6).search(model, feature: feature)[0]
        #expect(free.words == [dog, dog, dog, dog, dog], "the biased model wants only dogs (5 words: maxLength counts <end>)")
        for k in [1, 3] {
            let bigram = BeamSearch(beamSize: k, maxLength: 6, noRepeatNgram: 2).search(model, feature: feature)[0]
            let bigrams = zip(bigram.words, bigram.words.dropFirst()).map { [$0, $1] }
            #expect(Set(bigrams).count == bigrams.count, "\(bigram.words) repeats a bigram")
            #expect(!Self.containsRun(bigram.words, of: dog, length: 3), "\(bigram.words)")
            let unigram = BeamSearch(beamSize: k, maxLength: 6, noRepeatNgram: 1).search(model, feature: feature)[0]
            #expect(Set(unigram.words).count == unigram.words.count, "\(unigram.words) repeats a word")
        }
        let greedy = Sampler(maxLength: 6, noRepeatNgram: 2).greedy(model, feature: feature)
        #expect(greedy.words.starts(with: [dog, dog]), "greedy takes the one allowed 'dog dog'")
        #expect(!Self.containsRun(greedy.words, of: dog, length: 3), "\(greedy.words)")
    }

    @Test("With no beam finished by maxLength, the best unfinished caption is returned")
    func unfinishedAtMaxLength() {
        let (base, feature) = Self.tinyModel(seed: 4)
        let model = Self.biased(base, [CaptionModel.endToken: -40])
        for k in [1, 4] {
            let results = BeamSearch(beamSize: k, nBest: 2, maxLength: 5).search(model, feature: feature)
            #expect(results.count == min(k, 2))
            for caption in results {
                #expect(!caption.finished)
                // maxLength 5 counts <end>: an unfinished caption stops at 4 words.
                #expect(caption.words.count == 4 && caption.tokenLogProbabilities.count == 4)
                let rescored = model.logProbability(of: caption.words, feature: feature, finished: false)
                #expect(abs(caption.logProbability - rescored) < 1e-4)
            }
        }
    }

    @Test("maxLength counts <end>: a caption, finished or not, has at most maxLength − 1 words")
    func maxLengthCountsEnd() {
        for seed in UInt64(0)..<6 {
            let (model, feature) = Self.tinyModel(seed: seed)
            for caption in BeamSearch(beamSize: 5, nBest: 5, maxLength: 3).search(model, feature: feature) {
                #expect(caption.finished ? caption.words.count <= 2 : caption.words.count == 2)
            }
        }
    }

    @Test("Images searched in lockstep get the captions of their own searches",
          arguments: [(CellKind.lstm, Float(0)), (.gru, 0.7), (.rnn, 0)])
    func lockstepMatchesOneByOne(cell: CellKind, lengthPenalty: Float) {
        let (model, _) = Self.tinyModel(seed: 3, cell: cell)
        // Eight images whose searches end at different steps (early stop, <end>, maxLength).
        let features = (UInt64(0)..<8).map { ModelFixtures.feature(size: 6, seed: 200 &+ $0) }
        for k in [1, 3, 5] {
            let search = BeamSearch(beamSize: k, nBest: k, maxLength: 7, lengthPenalty: lengthPenalty)
            let together = search.search(model, features: features)
            #expect(together.count == features.count)
            for (i, feature) in features.enumerated() {
                let alone = search.search(model, feature: feature)
                #expect(together[i].map(\.words) == alone.map(\.words), "K \(k), image \(i)")
                for (a, b) in zip(together[i], alone) {
                    #expect(abs(a.logProbability - b.logProbability) < 1e-4, "K \(k), image \(i)")
                    #expect(a.finished == b.finished)
                }
            }
        }
        #expect(BeamSearch().search(model, features: []).isEmpty)
    }

    @Test("Text-only models decode from the zero state")
    func textOnly() {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: .gru, textOnly: true, initScale: 1.5))
        let caption = BeamSearch(beamSize: 3, maxLength: 6).search(model, feature: nil)[0]
        #expect(!caption.words.isEmpty)
        #expect(abs(caption.logProbability - model.logProbability(of: caption.words, feature: nil,
                                                                   finished: caption.finished)) < 1e-4)
        let twice = BeamSearch(beamSize: 3, maxLength: 6).search(model, features: [nil, nil])
        #expect(twice.map { $0[0].words } == [caption.words, caption.words])
    }
}
