import Foundation

/// Corpus-level BLEU-1…4, computed exactly as coco-caption's
/// `pycocoevalcap/bleu/bleu_scorer.py` does with option `"closest"` (what its `Bleu` class uses).
///
/// Clipped n-gram matches and candidate n-gram counts are summed over the whole corpus
/// before dividing (corpus BLEU, not a mean of sentence BLEUs). For n = 1…4:
///
///     correct_n = Σ_images Σ_g min(count_candidate(g), max_r count_r(g))    (g: n-grams of order n)
///     guess_n   = Σ_images max(0, |candidate| − n + 1)
///     p_n       = (correct_n + tiny) / (guess_n + small)                     tiny = 1e-15, small = 1e-9
///     BLEU-N    = (p_1 · … · p_N)^(1/N) · BP
///
/// with the brevity penalty over corpus lengths c = Σ |candidate| and r = Σ |closest reference|:
///
///     BP = exp(1 − 1 / ratio)  if ratio < 1, else 1,     ratio = (c + tiny) / (r + small)
///
/// The closest reference is the one whose length is nearest the candidate's; a tie goes to the
/// shorter reference (Python's `min` over `(|l − c|, l)` tuples).
public enum Bleu {
    /// Highest n-gram order; `score` returns BLEU-1 through BLEU-`maxOrder`.
    public static let maxOrder = NGram.maxOrder

    /// Added to every numerator so that a zero match count gives a tiny score rather than
    /// log(0) trouble; coco-caption's value, kept so results match it to the last digits.
    static let tiny = 1e-15
    /// Added to every denominator to avoid dividing by zero (coco-caption's value).
    static let small = 1e-9

    /// BLEU-1 … BLEU-4 of the corpus, as fractions in [0, 1] (index 0 is BLEU-1).
    public static func score(_ corpus: CaptionCorpus) -> [Double] {
        var correct = [Int](repeating: 0, count: maxOrder)
        var guess = [Int](repeating: 0, count: maxOrder)
        var candidateLength = 0
        var referenceLength = 0

        for image in corpus.encodedImages {
            let length = image.candidate.count
            candidateLength += length
            referenceLength += closestReferenceLength(to: length, among: image.references.map(\.count))

            for order in 1...maxOrder {
                guess[order - 1] += max(0, length - order + 1)
            }

            // Clipping: a candidate n-gram only counts as often as it occurs in the single
            // reference where it is most frequent, so "the the the" cannot farm matches.
            var maxReferenceCounts: [NGram: Int] = [:]
            for reference in image.references {
                for (gram, count) in NGram.counts(in: reference) {
                    maxReferenceCounts[gram] = max(maxReferenceCounts[gram, default: 0], count)
                }
            }
            for (gram, count) in NGram.counts(in: image.candidate) {
                correct[gram.order - 1] += min(count, maxReferenceCounts[gram, default: 0])
            }
        }

        // Cumulative product of precisions, then the N-th root, in coco-caption's order of
        // operations so the floating-point results agree with it.
        var scores: [Double] = []
        var product = 1.0
        for order in 1...maxOrder {
            product *= (Double(correct[order - 1]) + tiny) / (Double(guess[order - 1]) + small)
            scores.append(pow(product, 1.0 / Double(order)))
        }

        let ratio = (Double(candidateLength) + tiny) / (Double(referenceLength) + small)
        if ratio < 1 {
            let brevityPenalty = exp(1 - 1 / ratio)
            scores = scores.map { $0 * brevityPenalty }
        }
        return scores
    }

    /// The reference length nearest `candidateLength`; ties go to the shorter reference.
    static func closestReferenceLength(to candidateLength: Int, among referenceLengths: [Int]) -> Int {
        referenceLengths.min { first, second in
            let firstDistance = abs(first - candidateLength)
            let secondDistance = abs(second - candidateLength)
            return firstDistance != secondDistance ? firstDistance < secondDistance : first < second
        }!
    }
}
