import Application
import Captioning
import Testing

@Suite struct CaptionRerankerTests {
    private func caption(_ words: [Int], finished: Bool = true, logprob: Float = -5) -> DecodedCaption {
        DecodedCaption(words: words, tokenLogProbabilities: Array(repeating: logprob / Float(words.count + 1), count: words.count + 1),
                       finished: finished)
    }

    @Test func aSentenceEndingOnAnArticleOrPrepositionIsNotComplete() {
        #expect(CaptionReranker.isComplete(caption([1]), sentence: "a dog runs on the beach"))
        #expect(!CaptionReranker.isComplete(caption([1]), sentence: "a man standing in front of a"))
        #expect(!CaptionReranker.isComplete(caption([1]), sentence: "two dogs and"))
        #expect(!CaptionReranker.isComplete(caption([1], finished: false), sentence: "a dog runs"))
    }

    @Test func completeSentencesComeFirstWhateverTheScores() {
        let reranker = CaptionReranker(aligner: ShippedModels.aligner, weight: 1)
        let regions = ShippedModels.photos[2].features.regions
        // The dangling caption gets the better log-probability and is listed first.
        let candidates = [caption([1, 2], logprob: -1), caption([3, 4], logprob: -9), caption([5], finished: false, logprob: -0.5)]
        let sentences = ["a girl in front of a", "a girl on a red slide", "a girl"]
        let ranked = reranker.rerank(candidates, sentences: sentences, regions: regions)
        #expect(ranked[0].caption.words == [3, 4])
        #expect(Set(ranked.dropFirst().map(\.caption.words)) == [[1, 2], [5]])
        #expect(ranked[0].sentence == "a girl on a red slide")
        // The beam goes through the aligner as one batch: the same score to float rounding.
        #expect(abs(ranked[0].confidence - reranker.confidence("a girl on a red slide", regions: regions)) < 1e-5)
    }
}
