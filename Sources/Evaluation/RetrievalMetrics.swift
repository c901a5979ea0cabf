import Foundation

/// Image–sentence retrieval scores as Karpathy & Fei-Fei (2015, Table 1) report them, computed
/// the way the standard evaluation code does (Kiros et al.'s `i2t` / `t2i`, which their numbers
/// follow), from a similarity matrix `[images, sentences]` (higher = more similar):
///
/// - **Image annotation** (image → sentences): each image ranks all sentences; its rank is that
///   of its best-ranked correct sentence (Flickr8k has 5 per image).
/// - **Image search** (sentence → images): each sentence ranks all images; its rank is that of
///   its own image.
///
/// For each direction, with ranks r_q ≥ 1 (1 = first):
///
///     R@K        = fraction of queries with r_q ≤ K                (K = 1, 5, 10)
///     median     = ⌊median_q (r_q − 1)⌋ + 1    (numpy's median of 0-based ranks, which
///                                              averages the middle two for an even count)
///     mean       = mean_q r_q
///
/// Ties count against the correct item: a wrong item scoring exactly as high as the correct one
/// is ranked above it. A sort leaves tie order to the sort algorithm; being pessimistic makes the
/// result deterministic and means a degenerate model (all scores equal) gets the worst rank, not
/// an accidental R@1 of 100%.
public struct RetrievalMetrics: Sendable, Equatable, CustomStringConvertible {
    /// The scores of one retrieval direction.
    public struct Direction: Sendable, Equatable {
        /// Rank (1-based) of the first correct item, per query: per image for annotation, per
        /// sentence for search.
        public let ranks: [Int]

        public init(ranks: [Int]) {
            precondition(ranks.allSatisfy { $0 >= 1 }, "ranks are 1-based")
            self.ranks = ranks
        }

        /// Fraction of queries (0…1) whose first correct item is among the top `k`.
        public func recall(at k: Int) -> Double {
            guard !ranks.isEmpty else { return 0 }
            return Double(ranks.count(where: { $0 <= k })) / Double(ranks.count)
        }

        /// R@1, R@5, R@10 as fractions.
        public var recallAt1: Double { recall(at: 1) }
        public var recallAt5: Double { recall(at: 5) }
        public var recallAt10: Double { recall(at: 10) }

        /// ⌊median of the 0-based ranks⌋ + 1, exactly numpy's `floor(median(ranks)) + 1`.
        public var medianRank: Int {
            guard !ranks.isEmpty else { return 0 }
            let sorted = ranks.sorted()
            let middle = sorted.count / 2
            if sorted.count % 2 == 1 { return sorted[middle] }
            // (a − 1 + b − 1) / 2 floored, plus 1; all non-negative, so integer division floors.
            return (sorted[middle - 1] - 1 + sorted[middle] - 1) / 2 + 1
        }

        /// Mean 1-based rank.
        public var meanRank: Double {
            guard !ranks.isEmpty else { return 0 }
            return Double(ranks.reduce(0, +)) / Double(ranks.count)
        }
    }

    /// Image → sentences.
    public let annotation: Direction
    /// Sentence → images.
    public let search: Direction

    /// - Parameters:
    ///   - similarity: `[imageCount, sentenceImages.count]` row-major; no NaN.
    ///   - imageCount: rows; every image must have at least one sentence.
    ///   - sentenceImages: for each sentence (column), the index of its image.
    public init(similarity: [Float], imageCount: Int, sentenceImages: [Int]) {
        let sentenceCount = sentenceImages.count
        precondition(similarity.count == imageCount * sentenceCount,
                     "similarity has \(similarity.count) values, expected \(imageCount) × \(sentenceCount)")
        precondition(!similarity.contains(where: \.isNaN), "similarity contains NaN")
        precondition(sentenceImages.allSatisfy { (0..<imageCount).contains($0) }, "sentence image index out of range")
        var hasSentence = [Bool](repeating: false, count: imageCount)
        for image in sentenceImages { hasSentence[image] = true }
        precondition(hasSentence.allSatisfy { $0 }, "every image needs at least one sentence")

        // Annotation: the best correct sentence's score; rank = 1 + wrong sentences at or above it.
        var annotationRanks = [Int]()
        annotationRanks.reserveCapacity(imageCount)
        for image in 0..<imageCount {
            let row = similarity[(image * sentenceCount)..<((image + 1) * sentenceCount)]
            var best = -Float.infinity
            for (sentence, owner) in sentenceImages.enumerated() where owner == image {
                best = max(best, row[row.startIndex + sentence])
            }
            var above = 0
            for (sentence, owner) in sentenceImages.enumerated() where owner != image && row[row.startIndex + sentence] >= best {
                above += 1
            }
            annotationRanks.append(above + 1)
        }

        // Search: rank of the sentence's own image among all images in its column.
        var searchRanks = [Int]()
        searchRanks.reserveCapacity(sentenceCount)
        for (sentence, owner) in sentenceImages.enumerated() {
            let correct = similarity[owner * sentenceCount + sentence]
            var above = 0
            for image in 0..<imageCount where image != owner && similarity[image * sentenceCount + sentence] >= correct {
                above += 1
            }
            searchRanks.append(above + 1)
        }
        annotation = Direction(ranks: annotationRanks)
        search = Direction(ranks: searchRanks)
    }

    /// A table of R@1, R@5, R@10 (in %, as the paper prints them) and the median rank.
    public var description: String {
        func row(_ name: String, _ direction: Direction) -> String {
            let recalls = [1, 5, 10].map { String(format: "%6.1f", direction.recall(at: $0) * 100) }.joined()
            return name.padding(toLength: 12, withPad: " ", startingAt: 0) + recalls + String(format: "%6d", direction.medianRank)
        }
        let header = "direction".padding(toLength: 12, withPad: " ", startingAt: 0) + "   R@1   R@5  R@10  medr"
        return [header, row("annotation", annotation), row("search", search)].joined(separator: "\n")
    }
}
