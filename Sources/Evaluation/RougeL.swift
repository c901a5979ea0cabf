/// ROUGE-L as coco-caption's `pycocoevalcap/rouge/rouge.py` computes it: an LCS-based
/// F-measure per image, averaged over images.
///
/// For a candidate c and references r_1…r_k of one image:
///
///     P = max_j LCS(c, r_j) / |c|          R = max_j LCS(c, r_j) / |r_j|
///     ROUGE-L(image) = (1 + β²) · P · R / (R + β² · P)     β = 1.2   (0 when P or R is 0)
///     ROUGE-L(corpus) = mean over images
///
/// P and R are maximised separately, so they may come from different references, exactly as
/// in coco-caption. β = 1.2 weights recall slightly more than precision.
///
/// Empty captions: coco-caption splits "" into one empty token, which can never match a
/// non-empty reference, so an empty candidate scores 0; here an empty candidate or reference
/// contributes precision / recall 0 instead of dividing by zero.
public enum RougeL {
    /// Recall weight of the F-measure (coco-caption's value).
    public static let beta = 1.2

    /// Mean ROUGE-L over the images of the corpus, as a fraction in [0, 1].
    public static func score(_ corpus: CaptionCorpus) -> Double {
        let scores = imageScores(corpus)
        return scores.reduce(0, +) / Double(scores.count)
    }

    /// ROUGE-L of each image, in `corpus.images` order.
    public static func imageScores(_ corpus: CaptionCorpus) -> [Double] {
        corpus.encodedImages.map { imageScore(candidate: $0.candidate, references: $0.references) }
    }

    /// ROUGE-L of one candidate against its references (needs no corpus statistics).
    public static func score(candidate: [String], references: [[String]]) -> Double {
        imageScore(candidate: candidate, references: references)
    }

    static func imageScore<Token: Equatable>(candidate: [Token], references: [[Token]]) -> Double {
        var bestPrecision = 0.0
        var bestRecall = 0.0
        for reference in references {
            let common = Double(longestCommonSubsequenceLength(candidate, reference))
            if !candidate.isEmpty { bestPrecision = max(bestPrecision, common / Double(candidate.count)) }
            if !reference.isEmpty { bestRecall = max(bestRecall, common / Double(reference.count)) }
        }
        guard bestPrecision != 0, bestRecall != 0 else { return 0 }
        let betaSquared = beta * beta
        return (1 + betaSquared) * bestPrecision * bestRecall / (bestRecall + betaSquared * bestPrecision)
    }

    /// Length of the longest common subsequence, by the standard dynamic programme keeping only
    /// two rows (captions are short, but this runs once per reference per image).
    static func longestCommonSubsequenceLength<Token: Equatable>(_ first: [Token], _ second: [Token]) -> Int {
        guard !first.isEmpty, !second.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: second.count + 1)
        var current = previous
        for token in first {
            for (index, other) in second.enumerated() {
                current[index + 1] = token == other
                    ? previous[index] + 1
                    : max(previous[index + 1], current[index])
            }
            swap(&previous, &current)
        }
        return previous[second.count]
    }
}
