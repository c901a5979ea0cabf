import Foundation

/// What the aligner's S / words means as a probability: Platt scaling (Platt 1999, "Probabilistic
/// Outputs for Support Vector Machines"; the Newton method of Lin, Lin & Weng 2007) fitted on a
/// split where every sentence was written for one photo,
///
///     match(x) = P(the sentence was written for this photo rather than another | x) = σ(a·x + b)
///
/// with x = S_kl / T (`PairAlignment.normalized`) and σ(f) = 1 / (1 + e^{−f}). 0.5 means "can't
/// tell"; x* = −b / a is the S / words where that happens.
///
/// Fitting (`fit(positives:negatives:)`) minimizes the weighted cross-entropy
///
///     L(a, b) = −Σ_i w_i [t_i log p_i + (1 − t_i) log(1 − p_i)],     p_i = σ(a·x_i + b)
///
/// - positives (a sentence with its own photo): w = 1 / (2 N₊), t₊ = (N₊ + 1) / (N₊ + 2)
/// - negatives (a sentence with another photo): w = 1 / (2 N₋), t₋ = 1 / (N₋ + 2)
///
/// Each class carries half the weight whatever its count, so the prior is 50/50: a split gives
/// 1 positive for ~999 negatives, and an unweighted fit would say "no match" to nearly everything.
/// Platt's smoothed targets t₊, t₋ keep a and b finite when the classes separate perfectly. The
/// fit runs in Double on x standardized by the balanced mean and spread, by Newton's method with
/// backtracking (Lin et al. 2007, algorithm 1), so it is deterministic and converges in ~10 steps.
public struct MatchCalibration: Codable, Sendable, Equatable {
    /// The slope on S / words (> 0 for an aligner that learned anything).
    public var a: Double
    /// The intercept: the log-odds at S / words = 0.
    public var b: Double

    public init(a: Double, b: Double) {
        self.a = a
        self.b = b
    }

    /// σ(a·x + b) for x = S / words, in [0, 1]. A non-finite score gives NaN (JSON writes null).
    public func probability(normalizedScore x: Float) -> Float {
        guard x.isFinite else { return .nan }
        return Float(Self.sigmoid(a * Double(x) + b))
    }

    /// The S / words at which `probability` is 0.5: −b / a (nil when a = 0, a flat calibration).
    public var evenScore: Double? {
        a == 0 ? nil : -b / a
    }

    /// "can't tell" for every score: what `fit` returns when the scores do not vary at all.
    public static let flat = MatchCalibration(a: 0, b: 0)

    /// The logistic fit described above, from the S / words of pairs that belong together
    /// (`positives`) and pairs that do not (`negatives`); deterministic for the same inputs in the
    /// same order.
    ///
    /// When every score is the same (no spread to learn from) it returns `flat` (0.5 everywhere).
    /// Throws when a class is empty or a score is not finite: there is nothing to calibrate then.
    public static func fit(positives: [Float], negatives: [Float]) throws(MatchCalibrationError) -> MatchCalibration {
        guard !positives.isEmpty else { throw .noPositives }
        guard !negatives.isEmpty else { throw .noNegatives }
        guard positives.allSatisfy(\.isFinite) && negatives.allSatisfy(\.isFinite) else { throw .notFinite }

        // Standardize x by the class-balanced mean and standard deviation, so Newton's first
        // steps are well scaled whatever the aligner's score range.
        func moments(_ x: [Float]) -> (mean: Double, squares: Double) {
            let n = Double(x.count)
            return (x.reduce(0) { $0 + Double($1) } / n, x.reduce(0) { $0 + Double($1) * Double($1) } / n)
        }
        let (positive, negative) = (moments(positives), moments(negatives))
        let center = (positive.mean + negative.mean) / 2
        let spread = ((positive.squares + negative.squares) / 2 - center * center).squareRoot()
        guard spread > 1e-12 * max(1, abs(center)) else { return .flat }

        let classes = [
            WeightedClass(scores: positives, weight: 0.5 / Double(positives.count),
                          target: (Double(positives.count) + 1) / (Double(positives.count) + 2)),
            WeightedClass(scores: negatives, weight: 0.5 / Double(negatives.count),
                          target: 1 / (Double(negatives.count) + 2)),
        ]
        var (slope, intercept) = (0.0, 0.0)  // on z = (x − center) / spread
        var loss = Self.loss(classes, slope: slope, intercept: intercept, center: center, spread: spread)
        for _ in 0..<100 {
            // Gradient g and Hessian H of L in (slope, intercept); a tiny ridge keeps H invertible.
            var g = (0.0, 0.0), h = (zz: 1e-12, z: 0.0, one: 1e-12)
            for set in classes {
                for x in set.scores {
                    let z = (Double(x) - center) / spread
                    let p = sigmoid(slope * z + intercept)
                    let residual = set.weight * (p - set.target), curvature = set.weight * p * (1 - p)
                    g.0 += residual * z
                    g.1 += residual
                    h.zz += curvature * z * z
                    h.z += curvature * z
                    h.one += curvature
                }
            }
            if abs(g.0) < 1e-12 && abs(g.1) < 1e-12 { break }
            // Newton direction d = −H⁻¹ g (2 × 2, by Cramer's rule).
            let determinant = h.zz * h.one - h.z * h.z
            let d = (-(h.one * g.0 - h.z * g.1) / determinant, -(-h.z * g.0 + h.zz * g.1) / determinant)
            let decrease = g.0 * d.0 + g.1 * d.1
            // Backtracking: halve the step until the loss falls by a fraction of what the step promised.
            var step = 1.0, moved = false
            while step >= 1e-10 {
                let candidate = (slope + step * d.0, intercept + step * d.1)
                let candidateLoss = Self.loss(classes, slope: candidate.0, intercept: candidate.1, center: center, spread: spread)
                if candidateLoss < loss + 1e-4 * step * decrease {
                    (slope, intercept, loss, moved) = (candidate.0, candidate.1, candidateLoss, true)
                    break
                }
                step /= 2
            }
            if !moved { break }  // at the optimum to rounding: no step lowers the loss
        }
        // Back to x: slope · (x − center) / spread + intercept = a·x + b.
        return MatchCalibration(a: slope / spread, b: intercept - slope * center / spread)
    }

    /// One class of scores with its weight per pair and its smoothed target.
    private struct WeightedClass {
        var scores: [Float]
        var weight: Double
        var target: Double
    }

    /// L(slope, intercept) on standardized scores, without overflow: for f = slope·z + intercept,
    /// −[t log σ(f) + (1 − t) log(1 − σ(f))] = (1 − t) f + log(1 + e^{−f}) = −t f + log(1 + e^{f}).
    private static func loss(_ classes: [WeightedClass], slope: Double, intercept: Double,
                             center: Double, spread: Double) -> Double {
        var total = 0.0
        for set in classes {
            var sum = 0.0
            for x in set.scores {
                let f = slope * (Double(x) - center) / spread + intercept
                sum += f >= 0 ? (1 - set.target) * f + log1p(exp(-f)) : -set.target * f + log1p(exp(f))
            }
            total += set.weight * sum
        }
        return total
    }

    private static func sigmoid(_ f: Double) -> Double {
        f >= 0 ? 1 / (1 + exp(-f)) : exp(f) / (1 + exp(f))
    }
}

/// Why a calibration cannot be fitted.
public enum MatchCalibrationError: Error, CustomStringConvertible, Equatable {
    case noPositives
    case noNegatives
    case notFinite

    public var description: String {
        switch self {
        case .noPositives: return "no matching pairs to calibrate on"
        case .noNegatives: return "no mismatched pairs to calibrate on (the split needs at least two images)"
        case .notFinite: return "a score is not finite, so the aligner's scores cannot be calibrated"
        }
    }
}
