import Alignment
import Evaluation
import Tensors

/// Image–sentence retrieval on a whole split with a trained aligner (paper Table 1): every
/// image against every sentence of the split (1,000 × 5,000 on Flickr8k dev/test), ranked by
/// S_kl (paper eq. 8), reported as `RetrievalMetrics` (R@1/5/10 and median rank, both ways).
public struct AlignmentEvaluator {
    public let model: AlignmentModel

    public init(model: AlignmentModel) {
        self.model = model
    }

    /// The scores of every (image, sentence) pair of `set`.
    public func scores(_ set: AlignmentTrainingSet) -> AlignmentScoreMatrix {
        AlignmentScoreMatrix(regionEmbeddings: set.regions.map(model.embedRegions),
                             sentenceEmbeddings: model.embedSentences(set.sentences))
    }

    /// Retrieval figures on `set`, ranking by the raw S (`normalized: false`, the paper's) or
    /// by S / T. Search ranks the images of one sentence, where T is fixed, so only annotation
    /// can differ between the two.
    public func metrics(_ set: AlignmentTrainingSet, normalized: Bool = false) -> RetrievalMetrics {
        metrics(set, scores: scores(set), normalized: normalized)
    }

    /// `metrics` from `set`'s score matrix, already computed (to fit a `MatchCalibration` on it too).
    public func metrics(_ set: AlignmentTrainingSet, scores matrix: AlignmentScoreMatrix, normalized: Bool = false) -> RetrievalMetrics {
        RetrievalMetrics(similarity: (normalized ? matrix.normalized : matrix.raw).data,
                         imageCount: set.images.count, sentenceImages: set.sentenceImages)
    }
}

extension RetrievalMetrics {
    /// The mean of R@1, R@5 and R@10 over both directions, as a fraction: one number to pick the
    /// best epoch by (the "rsum" of the retrieval literature, divided by 6).
    public var meanRecall: Double {
        [annotation, search].reduce(0) { $0 + $1.recallAt1 + $1.recallAt5 + $1.recallAt10 } / 6
    }

    /// `annotation R@1/5/10 16.5/40.6/54.2 medr 8  search R@1/5/10 11.8/32.1/44.7 medr 12`.
    public var summaryLine: String {
        func part(_ name: String, _ direction: Direction) -> String {
            name + String(format: " R@1/5/10 %.1f/%.1f/%.1f medr %d", direction.recallAt1 * 100,
                          direction.recallAt5 * 100, direction.recallAt10 * 100, direction.medianRank)
        }
        return part("annotation", annotation) + "  " + part("search", search)
    }
}
