import Evaluation
import Testing

/// Retrieval ranks and their summaries on hand-made similarity matrices.
@Suite struct RetrievalMetricsTests {
    /// 3 images, 6 sentences (2 per image: sentences 2i, 2i + 1 belong to image i).
    ///
    ///              s0   s1   s2   s3   s4   s5
    ///     image 0 | 9    1    8    7    2    0 |  best correct 9 → rank 1
    ///     image 1 | 5    6    4    3    7    1 |  best correct 4 (s2); 5, 6, 7 above → rank 4
    ///     image 2 | 2    3    1    6    5    4 |  best correct 5 (s4); 6 above → rank 2
    ///
    /// Search (columns): s0 → image 0 (9 highest) 1; s1 → image 0 has 1, images 1 and 2 above → 3;
    /// s2 → image 1 has 4, image 0 above (8) → 2; s3 → image 1 has 3, 7 and 6 above → 3;
    /// s4 → image 2 has 5, image 1 above (7) → 2; s5 → image 2 has 4, highest → 1.
    static let similarity: [Float] = [9, 1, 8, 7, 2, 0,
                                      5, 6, 4, 3, 7, 1,
                                      2, 3, 1, 6, 5, 4]
    static let owners = [0, 0, 1, 1, 2, 2]

    @Test func ranksInBothDirections() {
        let metrics = RetrievalMetrics(similarity: Self.similarity, imageCount: 3, sentenceImages: Self.owners)
        #expect(metrics.annotation.ranks == [1, 4, 2])
        #expect(metrics.search.ranks == [1, 3, 2, 3, 2, 1])
    }

    @Test func recallsAndMedians() {
        let metrics = RetrievalMetrics(similarity: Self.similarity, imageCount: 3, sentenceImages: Self.owners)
        #expect(metrics.annotation.recall(at: 1) == 1.0 / 3)
        #expect(metrics.annotation.recall(at: 2) == 2.0 / 3)
        #expect(metrics.annotation.recallAt5 == 1)
        #expect(metrics.annotation.medianRank == 2)
        #expect(metrics.annotation.meanRank == 7.0 / 3)
        #expect(metrics.search.recallAt1 == 2.0 / 6)
        #expect(metrics.search.recall(at: 2) == 4.0 / 6)
        #expect(metrics.search.recallAt10 == 1)
        // Sorted 0-based ranks 0 0 1 1 2 2: numpy median 1 → floor + 1 = 2.
        #expect(metrics.search.medianRank == 2)
    }

    /// numpy's median averages the middle two 0-based ranks, then the result is floored: ranks
    /// 1, 2 (0-based 0, 1) → 0.5 → 0 → median rank 1; ranks 1, 4 → 1.5 → 1 → 2; 2, 4 → 2 → 3.
    @Test func evenCountMedianFloorsLikeNumpy() {
        #expect(RetrievalMetrics.Direction(ranks: [2, 1]).medianRank == 1)
        #expect(RetrievalMetrics.Direction(ranks: [4, 1]).medianRank == 2)
        #expect(RetrievalMetrics.Direction(ranks: [2, 4]).medianRank == 3)
        #expect(RetrievalMetrics.Direction(ranks: [7, 1, 3]).medianRank == 3)
        #expect(RetrievalMetrics.Direction(ranks: [10, 20, 11, 12, 13, 5, 6, 7, 8, 9]).recall(at: 10) == 0.6)
    }

    /// A wrong item that ties with the correct one ranks above it; ties among correct items
    /// don't matter (only the best one counts).
    @Test func tiesCountAgainstTheCorrectItem() {
        let constant = RetrievalMetrics(similarity: [Float](repeating: 0.5, count: 2 * 4), imageCount: 2,
                                        sentenceImages: [0, 0, 1, 1])
        #expect(constant.annotation.ranks == [3, 3])
        #expect(constant.search.ranks == [2, 2, 2, 2])
        #expect(constant.annotation.recallAt1 == 0 && constant.search.recallAt1 == 0)

        let partial = RetrievalMetrics(similarity: [1, 1, 0.5,
                                                    0, 2, 2], imageCount: 2, sentenceImages: [0, 0, 1])
        // Image 0: correct s0, s1 both 1; wrong s2 0.5 → rank 1. Image 1: correct s2 = 2 ties wrong s1 → 2.
        #expect(partial.annotation.ranks == [1, 2])
        // s0: image 0 has 1 > 0 → 1; s1: image 0 has 1 < 2 → 2; s2: image 1 has 2 > 0.5 → 1.
        #expect(partial.search.ranks == [1, 2, 1])
    }

    @Test func tableShowsPercentages() {
        let metrics = RetrievalMetrics(similarity: Self.similarity, imageCount: 3, sentenceImages: Self.owners)
        let lines = metrics.description.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].contains("33.3") && lines[1].contains("100.0"))
    }
}
