import Alignment
import Tensors
import Testing

/// The two ways of computing a batch's word–region products (regions embedded into the joint
/// space, or words projected into feature space) give the same loss and gradients, at a size
/// where both take several tiles and each wins the automatic choice on one side of F = h.
@Suite struct ScoreSpaceAgreementTests {
    @Test(arguments: [(featureSize: 24, hiddenSize: 24), (featureSize: 24, hiddenSize: 8)])
    func jointAndFeatureSpacesAgree(sizes: (featureSize: Int, hiddenSize: Int)) throws {
        var fixtures = AlignmentFixtures(seed: 31)
        let base = AlignmentConfig(vocabularySize: 40, featureSize: sizes.featureSize, wordSize: 10,
                                   hiddenSize: sizes.hiddenSize)
        let parameters = fixtures.withRandomBiases(AlignmentModel(config: base, seed: 31)).parameters
        let regions = (0..<20).map { _ in fixtures.regions(count: 9, features: sizes.featureSize, scale: 10) }
        let sentences = (0..<20).map { _ in
            fixtures.sentence(length: 1 + Int(fixtures.generator.next() % 15), vocabularySize: 40)
        }
        var results: [AlignmentLoss] = []
        for space in AlignmentScoreSpace.allCases {
            var config = base
            config.scoreSpace = space
            results.append(try AlignmentModel(config: config, parameters: parameters).loss(regions: regions, sentences: sentences))
        }
        for other in results.dropFirst() {
            #expect(abs(other.total - results[0].total) <= 1e-4 * results[0].total)
            #expect(zip(other.scores.data, results[0].scores.data).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
            for (name, gradient) in results[0].gradients {
                let scale = gradient.data.map(abs).max()!
                let worst = zip(other.gradients[name]!.data, gradient.data).map { abs($0 - $1) }.max()!
                #expect(worst <= 1e-4 * max(1, scale), "\(name): gradients differ by \(worst) (largest \(scale))")
            }
        }
    }
}
