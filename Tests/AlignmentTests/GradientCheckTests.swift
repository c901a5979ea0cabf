import Alignment
import Tensors
import Testing

/// The hand-written backward pass against central finite differences of the full objective
/// (ranking loss through the max, the sentence encoder over time, the embeddings, plus λ‖θ‖²),
/// for ~10 random entries of every parameter tensor, on a tiny model: V = 9, E = 6, h = 5,
/// F = 7, 4 regions per image, B = 3 pairs, sentences of 2–5 words with a repeated word; for
/// each sentence encoder (the paper's ReLU BRNN, GRU, LSTM).
@Suite struct GradientCheckTests {
    /// Finite-difference step: small enough that curvature barely separates the left and right
    /// differences, large enough that float rounding of the loss (~1e-6 relative on a loss of
    /// ~10) stays near 1e-3 in the gradient.
    static let step: Float = 2e-3
    static let entriesPerTensor = 10

    struct Problem {
        var model: AlignmentModel
        let regions: [Tensor]
        let sentences: [[Int]]
        var negatives: RankingLoss.Negatives = .all

        func evaluate() -> AlignmentLoss { model.loss(regions: regions, sentences: sentences, negatives: negatives) }
        func loss() -> Float { evaluate().total }
    }

    /// The tiny problem, with the margin placed so no hinge max(0, S_kl − S_kk + Δ) sits near
    /// its kink: with Δ ≈ 1 and scores ≈ 2 ± 1, some hinge is usually within 1e-2 of 0, where a
    /// finite difference straddles it. Δ goes in the middle of the widest gap between the
    /// differences S_kk − S_kl (hinge active iff Δ > S_kk − S_kl): among the middle ones for a
    /// mix of active and inactive hinges, or above them all for every hinge active.
    static func problem(seed: UInt64, mixedHinges: Bool, space: AlignmentScoreSpace = .automatic,
                        encoder: SentenceEncoderKind = .brnn, normalized: Bool = false,
                        negatives: RankingLoss.Negatives = .all) -> Problem {
        var fixtures = AlignmentFixtures(seed: seed)
        var config = AlignmentConfig(vocabularySize: 9, featureSize: 7, wordSize: 6, hiddenSize: 5,
                                     margin: 1, regularization: 0.01, scoreSpace: space, sentenceEncoder: encoder,
                                     normalizesEmbeddings: normalized)
        let random = fixtures.withRandomBiases(AlignmentModel(config: config, seed: seed))
        let regions = (0..<3).map { _ in fixtures.regions(count: 4, features: 7, scale: 40) }
        // Lengths 5, 2, 4 (so the packed layout reorders them), word 4 twice in the last one.
        let sentences = [[3, 5, 2, 8, 6], [7, 1], [4, 0, 4, 3]]
        let s = random.loss(regions: regions, sentences: sentences).scores.data
        var differences = [Float]()
        for k in 0..<3 {
            for l in 0..<3 where l != k {
                differences.append(s[k * 3 + k] - s[k * 3 + l])
                differences.append(s[k * 3 + k] - s[l * 3 + k])
            }
        }
        differences.sort()
        if mixedHinges {
            let gap = (3..<9).max { differences[$0] - differences[$0 - 1] < differences[$1] - differences[$1 - 1] }!
            config.margin = (differences[gap - 1] + differences[gap]) / 2
        } else {
            config.margin = differences.last! + 1
        }
        let model = try! AlignmentModel(config: config, parameters: random.parameters)
        return Problem(model: model, regions: regions, sentences: sentences, negatives: negatives)
    }

    /// The one-sided differences (f(θ + δ) − f(θ)) / δ and (f(θ) − f(θ − δ)) / δ for one entry.
    static func sidedDerivatives(_ problem: Problem, _ name: String, _ index: Int) -> (right: Float, left: Float) {
        var probe = problem
        let center = probe.loss()
        let original = probe.model.parameters[name]!.data[index]
        probe.model.parameters[name]!.data[index] = original + step
        let plus = probe.loss()
        probe.model.parameters[name]!.data[index] = original - step
        let minus = probe.loss()
        return ((plus - center) / step, (center - minus) / step)
    }

    /// Checks every tensor; returns how many entries were compared. The rest lie within δ of a
    /// kink of a max over regions or a ReLU (the left and right differences disagree: no
    /// derivative to compare with; the backward pass then gives one side's, as it should).
    static func check(_ problem: Problem, seed: UInt64) -> [String: Int] {
        let analytic = problem.evaluate().gradients
        var generator = SplitMix64(seed: seed)
        var compared: [String: Int] = [:]
        for parameter in AlignmentParameter.all(for: problem.model.config) {
            let name = parameter.name
            let count = problem.model.parameters[name]!.count
            let indices = count <= entriesPerTensor
                ? Array(0..<count)
                : (0..<entriesPerTensor).map { _ in Int(generator.next() % UInt64(count)) }
            compared[name] = 0
            for index in indices {
                let (right, left) = sidedDerivatives(problem, name, index)
                let numeric = (right + left) / 2
                let tolerance = 5e-3 + 3e-2 * abs(numeric)
                guard abs(right - left) <= tolerance else { continue }
                let value = analytic[name]!.data[index]
                #expect(abs(value - numeric) <= tolerance,
                        "\(name)[\(index)]: backprop \(value), finite difference \(numeric)")
                compared[name]! += 1
            }
        }
        return compared
    }

    /// Seeds whose sampled entries are (almost) all away from kinks; mixed and all-active hinges;
    /// both ways of computing the word–region products (`AlignmentScoreSpace`).
    @Test(arguments: [(UInt64(4), true), (UInt64(5), true), (UInt64(6), false), (UInt64(7), false)],
          [AlignmentScoreSpace.joint, .feature])
    func everyParameterMatchesFiniteDifferences(scenario: (seed: UInt64, mixedHinges: Bool), space: AlignmentScoreSpace) {
        let problem = Self.problem(seed: scenario.seed, mixedHinges: scenario.mixedHinges, space: space)
        let result = problem.model.loss(regions: problem.regions, sentences: problem.sentences)
        #expect(result.ranking > 0, "no active hinge: the check would only see the regularizer")
        Self.expectMostEntriesCompared(problem, Self.check(problem, seed: scenario.seed))
    }

    /// The same check for the gated encoders: every W_x, W_h, b of both cells (with h = 5 and
    /// 3 or 4 gate blocks, G·h = 15 or 20 rows, so a gradient in the wrong gate block fails),
    /// through the same embedding, output layer and loss.
    @Test(arguments: [SentenceEncoderKind.gru, .lstm], [(UInt64(4), true), (UInt64(6), false)])
    func gatedEncoderMatchesFiniteDifferences(encoder: SentenceEncoderKind, scenario: (seed: UInt64, mixedHinges: Bool)) {
        let problem = Self.problem(seed: scenario.seed, mixedHinges: scenario.mixedHinges, encoder: encoder)
        #expect(problem.model.parameters.keys.contains("sentence.forward.hidden_weight"))
        let result = problem.model.loss(regions: problem.regions, sentences: problem.sentences)
        #expect(result.ranking > 0, "no active hinge: the check would only see the regularizer")
        Self.expectMostEntriesCompared(problem, Self.check(problem, seed: scenario.seed))
    }

    /// The same check with cosine scores (v and s L2-normalized: the gradient through each
    /// normalization) and with VSE++'s max of hinges (only the hardest negative's hinge
    /// carries gradient), alone and together.
    @Test(arguments: [(UInt64(4), true), (UInt64(6), false)],
          [(normalized: false, negatives: RankingLoss.Negatives.hardest), (true, .all), (true, .hardest)])
    func normalizedScoresAndHardestNegativesMatchFiniteDifferences(scenario: (seed: UInt64, mixedHinges: Bool),
                                                                   variant: (normalized: Bool, negatives: RankingLoss.Negatives)) {
        let problem = Self.problem(seed: scenario.seed, mixedHinges: scenario.mixedHinges,
                                   normalized: variant.normalized, negatives: variant.negatives)
        let result = problem.evaluate()
        #expect(result.ranking > 0, "no active hinge: the check would only see the regularizer")
        if variant.normalized {
            // Cosines: every word's best product is at most 1, so S_kl ≤ T_l.
            for (index, score) in result.scores.data.enumerated() {
                #expect(score <= Float(problem.sentences[index % 3].count) + 1e-5)
            }
        }
        Self.expectMostEntriesCompared(problem, Self.check(problem, seed: scenario.seed))
    }

    /// At least 70% of each tensor's sampled entries were away from a kink and so compared.
    static func expectMostEntriesCompared(_ problem: Problem, _ compared: [String: Int]) {
        for parameter in AlignmentParameter.all(for: problem.model.config) {
            let checkable = min(entriesPerTensor, problem.model.parameters[parameter.name]!.count)
            #expect(compared[parameter.name]! * 10 >= checkable * 7,
                    "\(parameter.name): only \(compared[parameter.name]!) of \(checkable) entries away from a kink")
        }
    }

    /// The gradient is not trivially zero anywhere: each tensor gets some nonzero entries
    /// (otherwise the check above would pass on a missing backward path). Mixed hinges: with
    /// every hinge active, b_m's gradient is exactly 0, as b_mᵀ s_t adds the same amount to a
    /// sentence's score with every image and the active hinges' gradients then cancel.
    @Test(arguments: [(SentenceEncoderKind.brnn, AlignmentScoreSpace.joint), (.brnn, .feature), (.gru, .joint), (.lstm, .feature)])
    func everyGradientIsNonzero(encoder: SentenceEncoderKind, space: AlignmentScoreSpace) {
        let problem = Self.problem(seed: 5, mixedHinges: true, space: space, encoder: encoder)
        var noRegularization = problem
        var config = problem.model.config
        config.regularization = 0
        noRegularization.model = try! AlignmentModel(config: config, parameters: problem.model.parameters)
        let gradients = noRegularization.model.loss(regions: problem.regions, sentences: problem.sentences).gradients
        #expect(Set(gradients.keys) == Set(problem.model.parameters.keys))
        for parameter in AlignmentParameter.all(for: config) {
            #expect(gradients[parameter.name]!.data.contains { $0 != 0 }, "\(parameter.name) gets no gradient")
        }
    }

    /// λ‖θ‖² alone: with the regularizer doubled, each weight gradient changes by exactly 2λθ
    /// more, and biases not at all.
    @Test(arguments: SentenceEncoderKind.allCases)
    func regularizationGradientIsTwoLambdaTheta(encoder: SentenceEncoderKind) throws {
        let problem = Self.problem(seed: 4, mixedHinges: true, encoder: encoder)
        var config = problem.model.config
        config.regularization *= 2
        let stronger = try AlignmentModel(config: config, parameters: problem.model.parameters)
        let base = problem.model.loss(regions: problem.regions, sentences: problem.sentences)
        let doubled = stronger.loss(regions: problem.regions, sentences: problem.sentences)
        #expect(abs(doubled.regularization - 2 * base.regularization) <= 1e-5 * base.regularization)
        for parameter in AlignmentParameter.all(for: config) {
            let theta = problem.model.parameters[parameter.name]!.data
            let lambda = parameter.isRegularized ? problem.model.config.regularization : 0
            for i in theta.indices {
                let difference = doubled.gradients[parameter.name]!.data[i] - base.gradients[parameter.name]!.data[i]
                #expect(abs(difference - 2 * lambda * theta[i]) <= 1e-4)
            }
        }
    }
}
