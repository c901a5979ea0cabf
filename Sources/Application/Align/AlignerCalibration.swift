import Alignment
import Datasets
import Foundation
import Support

/// `caption evaluate alignment --calibrate`: fits the aligner's `MatchCalibration` on the split
/// it just ranked (the same score matrix, so the pairs are scored once) and stores it in the
/// aligner file, which is rewritten atomically with every weight as it was.
public struct AlignerCalibration {
    public let calibration: MatchCalibration
    /// How many pairs the fit saw: each sentence with its own image, and with every other one.
    public let positives: Int, negatives: Int
    /// The median S / words of each kind of pair, to show what the probabilities mean.
    public let medianPositive: Float, medianNegative: Float

    /// Fits on `scores`, the split's `[images, sentences]` matrix (`AlignmentEvaluator.scores`).
    public init(scores: AlignmentScoreMatrix, sentenceImages: [Int]) throws(CaptionError) {
        let (positives, negatives) = MatchCalibration.pairs(scores: scores, sentenceImages: sentenceImages)
        do {
            calibration = try MatchCalibration.fit(positives: positives, negatives: negatives)
        } catch {
            throw .input("--calibrate", error.description)
        }
        (self.positives, self.negatives) = (positives.count, negatives.count)
        func median(_ values: [Float]) -> Float { values.sorted()[values.count / 2] }
        (medianPositive, medianNegative) = (median(positives), median(negatives))
    }

    /// Writes `file` with this calibration to `url` (atomically, in the dtype that keeps its
    /// weights exact), noting the split in its info.
    public func store(in file: AlignmentModelFile, at url: URL, split: String) throws(CaptionError) {
        var calibrated = file
        calibrated.calibration = calibration
        calibrated.info["calibration"] = "Platt scaling of S / words on \(split): \(positives) matching, \(negatives) mismatched pairs"
        do {
            try calibrated.write(to: url, dtype: file.losslessDType)
        } catch {
            throw .input(url.path, "cannot write the calibrated aligner: \(error)")
        }
    }

    /// What the fit means, line by line: a and b, and the S / words where match is 0.5 and at
    /// each kind of pair's median.
    public var summary: [String] {
        func line(_ x: Float, _ what: String) -> String {
            String(format: "S/words %.3f → match ", x) + MatchReading.text(calibration.probability(normalizedScore: x)) + "  (\(what))"
        }
        var lines = [String(format: "calibration: match = σ(a · S/words + b), a = %.4f, b = %.4f, fitted on %d matching "
                            + "and %d mismatched pairs", calibration.a, calibration.b, positives, negatives)]
        if let even = calibration.evenScore { lines.append(line(Float(even), "can't tell")) }
        lines.append(line(medianPositive, "the median matching pair"))
        lines.append(line(medianNegative, "the median mismatched pair"))
        return lines
    }

    /// `{"a", "b", "even_score", "positives", "negatives"}` for `--json`.
    public var json: JSON {
        .object([("a", .double(calibration.a, decimals: 6)), ("b", .double(calibration.b, decimals: 6)),
                 ("even_score", calibration.evenScore.map { .double($0, decimals: 4) } ?? .null),
                 ("positives", .int(positives)), ("negatives", .int(negatives))])
    }
}
