import Evaluation
import Foundation
import Testing

/// The self-critical reward: CIDEr-D with document frequencies fixed by a reference corpus.
@Suite struct CiderDRewardTests {
    let fixture: EvaluationFixture

    init() throws { fixture = try EvaluationFixture.load() }

    /// With the corpus's own references, each image's reward is pycocoevalcap's CIDEr-D of it.
    @Test func ownReferencesGivePycocoevalcapsScores() {
        let reward = CiderDReward(references: fixture.images.map(\.references))
        #expect(reward.imageCount == fixture.images.count)
        for (index, image) in fixture.images.enumerated() {
            let expected = fixture.golden.ciderDPerImage[image.id] ?? .nan
            let actual = reward.score(image.candidate, image: index)
            #expect(abs(actual - expected) < 1e-9, "\(image.id): \(actual) vs pycocoevalcap \(expected)")
        }
    }

    /// The IDF is the reference corpus's, not the scored captions': the same caption scores the
    /// same whatever else is scored, and a word every image's references use is worth nothing.
    @Test func idfComesFromTheReferencesAlone() {
        let reward = CiderDReward(references: [[["a", "dog", "runs"]], [["a", "cat", "sleeps"]], [["a", "bird", "sings"]]])
        let first = reward.score(["a", "dog", "runs"], image: 0)
        #expect(first > 0)
        #expect(reward.score(["a", "dog", "runs"], image: 0) == first)
        #expect(reward.score(["a"], image: 0) == 0)
        #expect(reward.score(["dog", "runs"], image: 1) == 0)
    }

    /// Words the references never use match nothing, yet still lengthen and dilute the caption.
    @Test func unseenWordsCountButNeverMatch() {
        let reward = CiderDReward(references: [[["a", "dog", "runs", "fast"]], [["a", "cat", "sleeps"]]])
        let exact = reward.score(["a", "dog", "runs", "fast"], image: 0)
        let padded = reward.score(["a", "dog", "runs", "fast", "zebra", "quokka"], image: 0)
        let repeated = reward.score(["a", "dog", "runs", "fast", "zebra", "zebra"], image: 0)
        #expect(padded < exact)
        #expect(padded > 0)
        #expect(repeated != padded)
        #expect(reward.score(["zebra"], image: 0) == 0)
        #expect(CiderDReward(references: [[["a", "dog"]], []]).score(["a", "dog"], image: 1) == 0, "no references, no reward")
    }
}
