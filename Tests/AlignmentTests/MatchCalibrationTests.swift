import Alignment
import Foundation
import Formats
import Tensors
import Testing

/// Platt scaling of S / words: on scores whose log-odds are known in closed form the fit finds
/// them, the probability rises with the score, the class counts do not move it, degenerate
/// inputs give a defined answer, and the aligner file keeps the calibration.
@Suite struct MatchCalibrationTests {
    /// `count` draws from N(mean, σ²), Box–Muller on SplitMix64.
    static func gaussian(count: Int, mean: Double, sigma: Double, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let u = max(generator.nextUnit(), 1e-300), v = generator.nextUnit()
            return Float(mean + sigma * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
    }

    /// Equal-variance Gaussians with equal priors: log-odds(x) = (μ₁ − μ₀)/σ² · x + (μ₀² − μ₁²)/(2σ²).
    @Test func twoGaussiansGiveTheAnalyticLogOddsLine() throws {
        let (mu0, mu1, sigma) = (0.4, 0.9, 0.25)
        let negatives = Self.gaussian(count: 40_000, mean: mu0, sigma: sigma, seed: 1)
        let positives = Self.gaussian(count: 40_000, mean: mu1, sigma: sigma, seed: 2)
        let fitted = try MatchCalibration.fit(positives: positives, negatives: negatives)
        let a = (mu1 - mu0) / (sigma * sigma), b = (mu0 * mu0 - mu1 * mu1) / (2 * sigma * sigma)
        #expect(abs(fitted.a - a) < 0.03 * a, "a = \(fitted.a), analytic \(a)")
        #expect(abs(fitted.b - b) < 0.03 * abs(b), "b = \(fitted.b), analytic \(b)")
        // Where the two densities cross, (μ₀ + μ₁)/2, it can't tell.
        #expect(abs(fitted.probability(normalizedScore: Float((mu0 + mu1) / 2)) - 0.5) < 0.01)
        #expect(abs((fitted.evenScore ?? 0) - (mu0 + mu1) / 2) < 0.01)
    }

    @Test func probabilityRisesWithTheScoreAndStaysInZeroOne() throws {
        let fitted = try MatchCalibration.fit(positives: Self.gaussian(count: 2_000, mean: 1, sigma: 0.3, seed: 3),
                                              negatives: Self.gaussian(count: 2_000, mean: 0, sigma: 0.3, seed: 4))
        let probabilities = stride(from: Float(-5), through: 5, by: 0.25).map { fitted.probability(normalizedScore: $0) }
        #expect(zip(probabilities, probabilities.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(probabilities.first! < 0.01 && probabilities.last! > 0.99)
        #expect(probabilities.allSatisfy { (0...1).contains($0) })
        #expect(fitted.probability(normalizedScore: .nan).isNaN)
    }

    /// Each class weighs half whatever its count: the negatives repeated ten times (as a split
    /// gives ~1,000 mismatched pairs per matching one) fit the same line.
    @Test func tenTimesMoreNegativesGiveTheSameFit() throws {
        let positives = Self.gaussian(count: 3_000, mean: 0.8, sigma: 0.2, seed: 5)
        let negatives = Self.gaussian(count: 3_000, mean: 0.5, sigma: 0.2, seed: 6)
        let once = try MatchCalibration.fit(positives: positives, negatives: negatives)
        let tenfold = try MatchCalibration.fit(positives: positives, negatives: Array(repeating: negatives, count: 10).flatMap { $0 })
        #expect(abs(once.a - tenfold.a) < 1e-3 * abs(once.a), "\(once) vs \(tenfold)")
        #expect(abs(once.b - tenfold.b) < 1e-3 * abs(once.b), "\(once) vs \(tenfold)")
        #expect(abs(once.probability(normalizedScore: 0.65) - 0.5) < 0.02)
    }

    /// Separable classes: Platt's smoothed targets keep a and b finite.
    @Test func separableClassesStayFinite() throws {
        let fitted = try MatchCalibration.fit(positives: [2, 2.5, 3], negatives: [-1, -0.5, 0])
        #expect(fitted.a.isFinite && fitted.b.isFinite && fitted.a > 0)
        #expect(fitted.probability(normalizedScore: 3) > 0.5 && fitted.probability(normalizedScore: -1) < 0.5)
    }

    @Test func degenerateInputsAreDefined() throws {
        // No spread to learn from: 0.5 everywhere.
        let flat = try MatchCalibration.fit(positives: [0.7, 0.7], negatives: [0.7, 0.7, 0.7])
        #expect(flat == .flat && flat.probability(normalizedScore: 0.7) == 0.5 && flat.evenScore == nil)
        // Nothing to fit: a typed error, never NaN.
        #expect(throws: MatchCalibrationError.noPositives) { try MatchCalibration.fit(positives: [], negatives: [1]) }
        #expect(throws: MatchCalibrationError.noNegatives) { try MatchCalibration.fit(positives: [1], negatives: []) }
        #expect(throws: MatchCalibrationError.notFinite) { try MatchCalibration.fit(positives: [1, .nan], negatives: [0]) }
        // Deterministic: the same input fits the same numbers.
        let scores = Self.gaussian(count: 500, mean: 0, sigma: 1, seed: 7)
        #expect(try MatchCalibration.fit(positives: scores.map { $0 + 1 }, negatives: scores)
                == MatchCalibration.fit(positives: scores.map { $0 + 1 }, negatives: scores))
    }

    @Test func theAlignerFileKeepsTheCalibration() throws {
        let url = AlignmentModelFileTests.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        var original = try AlignmentModelFileTests.sample()
        try original.write(to: url)
        #expect(try AlignmentModelFile.read(contentsOf: url).calibration == nil)

        original.calibration = MatchCalibration(a: 7.25, b: -5.5)
        try original.write(to: url, dtype: original.losslessDType)
        let read = try AlignmentModelFile.read(contentsOf: url)
        #expect(read.calibration == original.calibration)
        #expect(read.model.parameters == original.model.parameters, "float32 weights are kept exactly")
        #expect(original.losslessDType == .f32)

        // A float16 file stays float16 when rewritten.
        try original.write(to: url, dtype: .f16)
        #expect(try AlignmentModelFile.read(contentsOf: url).losslessDType == .f16)

        // A malformed calibration is refused with the key named.
        var file = try SafeTensorsFile.read(contentsOf: url)
        for bad in ["{\"a\": 1}", "not json", "{\"a\": \"x\", \"b\": 0}"] {
            file.metadata["calibration"] = bad
            try SafeTensorsFile.write(file.tensors, metadata: file.metadata, to: url)
            #expect {
                try AlignmentModelFile.read(contentsOf: url)
            } throws: { error in
                (error as? AlignmentModelFileError)?.description.contains("'calibration'") == true
            }
        }
    }
}
