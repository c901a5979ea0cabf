import Alignment

/// Fitting `MatchCalibration` on a split (normally Flickr8k dev): every sentence scored against
/// every image, as retrieval scores them (`AlignmentScoreMatrix`, S / T).
///
///     positives = { S_kl / T_l : image k is sentence l's own }           (one per sentence)
///     negatives = { S_kl / T_l : image k is any other image of the split } (images − 1 per sentence)
///
/// All pairs, not a sample: the matrix is what retrieval evaluation computes anyway, and the fit
/// is linear in the pairs (~5 M on dev, about a second), so there is no seed to choose.
extension MatchCalibration {
    /// The calibration of `model` on `dev`; computes the 1,000 × 5,000 score matrix (the cost of
    /// one `AlignmentEvaluator.metrics`). The trainer, which has the matrix, calls
    /// `fit(scores:sentenceImages:)` instead.
    public static func fit(model: AlignmentModel, dev: AlignmentTrainingSet) throws(MatchCalibrationError) -> MatchCalibration {
        try fit(scores: AlignmentEvaluator(model: model).scores(dev), sentenceImages: dev.sentenceImages)
    }

    /// The calibration from a split's score matrix `[images, sentences]` and each sentence's image.
    public static func fit(scores: AlignmentScoreMatrix, sentenceImages: [Int]) throws(MatchCalibrationError) -> MatchCalibration {
        let (positives, negatives) = pairs(scores: scores, sentenceImages: sentenceImages)
        return try fit(positives: positives, negatives: negatives)
    }

    /// The S / words of the matching and the mismatched pairs, as described above.
    public static func pairs(scores: AlignmentScoreMatrix, sentenceImages: [Int]) -> (positives: [Float], negatives: [Float]) {
        let images = scores.normalized.shape[0], sentences = scores.normalized.shape[1]
        precondition(sentenceImages.count == sentences, "one image index per sentence")
        var positives = [Float](), negatives = [Float]()
        positives.reserveCapacity(sentences)
        negatives.reserveCapacity(max(0, images - 1) * sentences)
        scores.normalized.data.withUnsafeBufferPointer { normalized in
            for image in 0..<images {
                let row = normalized.baseAddress! + image * sentences
                for sentence in 0..<sentences {
                    if sentenceImages[sentence] == image { positives.append(row[sentence]) } else { negatives.append(row[sentence]) }
                }
            }
        }
        return (positives, negatives)
    }
}
