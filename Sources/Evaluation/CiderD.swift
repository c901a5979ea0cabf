import Foundation

/// CIDEr-D as coco-caption's `pycocoevalcap/cider/cider_scorer.py` computes it (its `Cider`
/// class is the D variant: Gaussian length penalty and clipped candidate weights).
///
/// Every caption becomes, for each order n = 1…4, a TF-IDF vector over its n-grams:
///
///     g_n(s)[w] = count_s(w) · (log N − log max(1, df(w)))
///
/// where N is the number of images in the corpus and df(w) the number of images whose
/// references (taken together) contain w. The IDF therefore comes from the evaluated
/// corpus itself, so scores depend on which images are evaluated together. Then
///
///     sim_n(c, r) = Σ_w min(g_n(c)[w], g_n(r)[w]) · g_n(r)[w] / (‖g_n(c)‖ · ‖g_n(r)‖)
///                   · exp(−δ² / (2σ²))                                          σ = 6
///     CIDEr-D(image)  = 10 · (1/k) Σ_{j=1…k} (1/4) Σ_{n=1…4} sim_n(c, r_j)
///     CIDEr-D(corpus) = mean over images
///
/// (the division by the norms is skipped when either is 0; the dot product is then 0).
/// The min(…) clipping stops a candidate from gaining by repeating a high-weight n-gram.
///
/// δ is the length difference *as coco-caption measures it*: the number of bigrams,
/// max(0, tokens − 1), of candidate minus reference. That equals the token-length difference
/// except when exactly one of the two captions is empty; it is kept to match coco-caption.
public enum CiderD {
    /// Highest n-gram order (coco-caption's n = 4).
    public static let maxOrder = NGram.maxOrder
    /// Standard deviation, in tokens, of the Gaussian length penalty (coco-caption's σ = 6).
    public static let sigma = 6.0
    /// coco-caption scales CIDEr so that typical scores are around 1 rather than 0.1.
    static let scale = 10.0

    /// Mean CIDEr-D over the images of the corpus (coco-caption's number; ×100 for "points").
    public static func score(_ corpus: CaptionCorpus) -> Double {
        let scores = imageScores(corpus)
        return scores.reduce(0, +) / Double(scores.count)
    }

    /// CIDEr-D of each image, in `corpus.images` order.
    public static func imageScores(_ corpus: CaptionCorpus) -> [Double] {
        let referenceCounts = corpus.encodedImages.map { $0.references.map(NGram.counts(in:)) }
        let weigher = TfIdfWeigher(
            documentFrequency: documentFrequency(of: referenceCounts),
            logImageCount: log(Double(corpus.encodedImages.count)))

        return zip(corpus.encodedImages, referenceCounts).map { image, imageReferenceCounts in
            let candidate = weigher.vector(NGram.counts(in: image.candidate), tokenCount: image.candidate.count)
            var similarities = [Double](repeating: 0, count: maxOrder)
            for (tokens, counts) in zip(image.references, imageReferenceCounts) {
                let reference = weigher.vector(counts, tokenCount: tokens.count)
                for (order, value) in similarity(candidate, reference).enumerated() {
                    similarities[order] += value
                }
            }
            // Same order of operations as coco-caption: mean over n, then over references.
            let meanOverOrders = similarities.reduce(0, +) / Double(maxOrder)
            return meanOverOrders / Double(imageReferenceCounts.count) * scale
        }
    }

    /// For each n-gram, in how many images' reference sets it appears (at most once per image).
    static func documentFrequency(of referenceCounts: [[[NGram: Int]]]) -> [NGram: Int] {
        var frequency: [NGram: Int] = [:]
        var lastImage: [NGram: Int] = [:]
        for (imageIndex, references) in referenceCounts.enumerated() {
            for counts in references {
                for gram in counts.keys where lastImage[gram] != imageIndex {
                    lastImage[gram] = imageIndex
                    frequency[gram, default: 0] += 1
                }
            }
        }
        return frequency
    }

    /// Per-order cosine similarity with clipping and length penalty (coco-caption's `sim`).
    static func similarity(_ candidate: TfIdfVector, _ reference: TfIdfVector) -> [Double] {
        var values = [Double](repeating: 0, count: maxOrder)
        for (gram, weight) in candidate.weights {
            let referenceWeight = reference.weights[gram, default: 0]
            values[gram.order - 1] += min(weight, referenceWeight) * referenceWeight
        }
        let delta = Double(candidate.bigramCount - reference.bigramCount)
        let lengthPenalty = exp(-(delta * delta) / (2 * sigma * sigma))
        for order in 0..<maxOrder {
            if candidate.norms[order] != 0, reference.norms[order] != 0 {
                values[order] /= candidate.norms[order] * reference.norms[order]
            }
            values[order] *= lengthPenalty
        }
        return values
    }
}

/// A caption's TF-IDF weights for all n-gram orders, with one Euclidean norm per order.
struct TfIdfVector {
    var weights: [NGram: Double] = [:]
    var norms = [Double](repeating: 0, count: NGram.maxOrder)
    /// coco-caption's "length": it counts bigrams, i.e. max(0, tokens − 1).
    var bigramCount = 0
}

/// Turns n-gram counts into TF-IDF vectors using the corpus document frequencies.
struct TfIdfWeigher {
    let documentFrequency: [NGram: Int]
    /// log N; an n-gram found in every image's references gets IDF 0.
    let logImageCount: Double

    func vector(_ counts: [NGram: Int], tokenCount: Int) -> TfIdfVector {
        var vector = TfIdfVector()
        vector.weights.reserveCapacity(counts.count)
        var squaredNorms = [Double](repeating: 0, count: NGram.maxOrder)
        for (gram, count) in counts {
            // An n-gram absent from all references gets df 1 (log 1 = 0), i.e. the full log N.
            let logFrequency = log(max(1.0, Double(documentFrequency[gram, default: 0])))
            let weight = Double(count) * (logImageCount - logFrequency)
            vector.weights[gram] = weight
            squaredNorms[gram.order - 1] += weight * weight
        }
        vector.norms = squaredNorms.map { $0.squareRoot() }
        vector.bigramCount = max(0, tokenCount - 1)
        return vector
    }
}
