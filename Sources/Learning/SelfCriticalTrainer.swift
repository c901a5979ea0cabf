import Text
import Captioning
import Evaluation
import Foundation
import Tensors
import Datasets

/// Settings of a self-critical run. `caption train captioner --self-critical` takes its
/// defaults from here.
public struct SelfCriticalOptions: Sendable {
    public var schedule = TrainingSchedule.selfCritical
    /// What each sample's reward is compared with.
    public var baseline: Baseline = .others
    /// Captions sampled per image and minibatch (K).
    public var samples = 5
    /// Most tokens of a sampled caption, `<end>` included.
    public var maxLength = 20
    /// Beam width for the per-epoch dev scores.
    public var evaluationBeamSize = 3

    /// The baseline b subtracted from a sample's reward r, so the gradient pushes up captions
    /// better than the model's usual and down worse ones.
    public enum Baseline: String, Sendable, CaseIterable {
        /// The reward of the image's greedy caption (Rennie et al. 2017).
        case greedy
        /// The mean reward of the image's other K − 1 samples ("new self-critical", Luo 2020):
        /// no extra decoding, and the baseline never beats every sample.
        case others
    }

    public init() {}
}

/// Fine-tunes a trained captioner on its own sampled captions, rewarded by CIDEr-D
/// (self-critical sequence training, Rennie et al. 2017):
///
///     for each image of a minibatch of B images: sample y_1…y_K ~ p(· | image)
///     r_k = CIDEr-D(y_k, the image's references)    document frequencies of the training set
///     A_k = r_k − b_k                                b_k: greedy caption's reward, or mean of the others
///     ∇L = −(1/(B·K)) Σ A_k ∇ log p(y_k | image)    `CaptionModel.policyGradient`
///
/// then global-norm clipping and Adam, through the shared `EpochLoop` (checkpoints, resume,
/// dev scores after every epoch). The model it starts from is scored first, as epoch 0, and
/// stays the kept model unless an epoch beats its dev CIDEr-D. An iteration reports the
/// samples' mean reward. Sampling, like the gradient, runs without dropout: the gradient must
/// be of the policy that drew the samples.
public final class SelfCriticalTrainer: Trainer {
    static let checkpointFormat = "self-critical-checkpoint-1"

    public let options: SelfCriticalOptions
    public let train: CaptionTrainingSet
    public let dev: CaptionTrainingSet
    public let vocabulary: Vocabulary
    public let tokenizer: Tokenizer
    public let features: ImageFeatureSpec
    public let outputDirectory: URL
    public var info: [String: String] = [:]

    public private(set) var model: CaptionModel
    private let reward: CiderDReward
    private var optimizer: any Optimizer
    private var loop: EpochLoop

    /// - Parameters:
    ///   - start: the trained captioner (one model, not an ensemble) and its vocabulary,
    ///     tokenizer and feature standardization, which the run keeps.
    ///   - train, dev: the splits, encoded with `start`'s vocabulary and features.
    public init(start: CaptionModelFile, options: SelfCriticalOptions, train: CaptionTrainingSet, dev: CaptionTrainingSet,
                outputDirectory: URL, resume: Bool) throws {
        try Self.check(start)
        let features = start.features!
        precondition(options.samples >= 1 && (options.baseline == .greedy || options.samples >= 2),
                     "the mean of the other samples needs at least two samples")
        self.options = options
        self.train = train
        self.dev = dev
        vocabulary = start.vocabulary
        tokenizer = start.tokenizer
        self.features = features
        self.outputDirectory = outputDirectory
        model = start.model
        reward = CiderDReward(references: train.references)
        optimizer = Adam(learningRate: options.schedule.learningRate)
        let perEpoch = (train.images.count + options.schedule.batchSize - 1) / options.schedule.batchSize
        loop = EpochLoop(schedule: options.schedule, batchCounts: Array(repeating: perEpoch, count: options.schedule.epochs))
        // The start's recipe and figures stay in the model file, as start_command, start_epoch, …
        for (key, value) in start.info { info[key == "train_images" ? key : "start_\(key)"] = value }
        if resume {
            let saved = try TrainingCheckpoint.read(from: checkpointURL, format: Self.checkpointFormat, expecting: model.config)
            model = try CaptionModel(config: model.config, parameters: saved.parameters)
            optimizer.restore(saved.optimizer)
            loop.resume(from: saved.state, folder: outputDirectory)
        }
    }

    /// Throws unless `start` can be fine-tuned: one captioner, not an ensemble or a language model.
    public static func check(_ start: CaptionModelFile) throws {
        guard start.ensemble.isEmpty else {
            throw TrainingError("it is an ensemble of \(start.ensemble.count + 1) models: fine-tune each member's run on its own")
        }
        guard start.features != nil, !start.model.config.textOnly else {
            throw TrainingError("it is a language model: self-critical training needs a captioner (images to caption)")
        }
    }

    public var iterationsPerEpoch: Int { loop.batchCounts.first ?? 0 }
    public var totalIterations: Int { loop.totalIterations }
    public var completedIterations: Int { loop.completedIterations }
    public var iterationName: String { "reward" }

    /// Runs the remaining epochs, first scoring the start on a fresh run (`report` then comes
    /// once more). `progress` gets each minibatch's mean sample reward.
    public func run(progress: (Int, Float) -> Void, report: (SelfCriticalReport) -> Void) throws {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        try loop.run(self, progress: progress, report: report)
    }

    /// The K samples of each image and their advantages A = r − b, image-major.
    func advantages(rewards: [Double], baselines: [Double]?) -> [Float] {
        let k = options.samples
        return rewards.indices.map { index in
            if let baselines { return Float(rewards[index] - baselines[index / k]) }
            // Mean of the other K − 1 samples of the same image.
            let first = index / k * k
            let others = rewards[first..<(first + k)].reduce(0, +) - rewards[index]
            return Float(rewards[index] - others / Double(k - 1))
        }
    }
}

/// One epoch's line: the samples' mean reward, and the dev scores with the captions' variety.
public struct SelfCriticalReport: Sendable, CustomStringConvertible {
    public var epoch: Int
    /// The mean CIDEr-D of the epoch's samples; NaN for epoch 0, the start.
    public var meanReward: Float
    public var evaluation: SelfCriticalEvaluation
    public var seconds: Double
    public var isBest: Bool

    public var description: String {
        let s = evaluation.scores
        var line = epoch == 0 ? "start  " : String(format: "epoch %d  sample reward %.3f  ", epoch, meanReward)
        line += String(format: "dev perplexity %.2f  BLEU-4 %.1f  CIDEr %.1f  %d distinct captions, %d words, %d dangling  %.0fs",
                       evaluation.perplexity, s.bleu4 * 100, s.ciderD * 100, evaluation.distinctCaptions,
                       evaluation.wordsUsed, evaluation.danglingCaptions, seconds)
        return line + (isBest ? "  (best)" : "")
    }
}

/// The dev split after an epoch: perplexity of the references, metrics of the beam-searched
/// captions, and how varied those captions are (metric-tuned captioners drift to stock phrases).
public struct SelfCriticalEvaluation: Sendable {
    public var perplexity: Float
    public var scores: MetricScores
    public var distinctCaptions: Int
    public var wordsUsed: Int
    /// Captions ending on "a", "with", … (`CaptionCorpus.danglingCandidates`).
    public var danglingCaptions: Int
}

extension TrainingSchedule {
    /// Self-critical fine-tuning: 50 images a minibatch (250 samples with K = 5), Adam at 5e-5
    /// as in Rennie et al. and Luo's self-critical.pytorch, × 0.8 every 2 epochs.
    public static let selfCritical = TrainingSchedule(epochs: 4, batchSize: 50, learningRate: 5e-5,
                                                      learningRateDecay: 0.8, decayEvery: 2)
}

extension SelfCriticalTrainer: EpochTraining {
    /// The epoch's permutation of the training images, cut into minibatches.
    func batches(epoch: Int) -> [[Int]] {
        EpochLoop.shuffledBatches(count: train.images.count, size: options.schedule.batchSize, seed: options.schedule.seed, epoch: epoch)
    }

    /// Samples, rewards, baseline, the policy gradient and an Adam step. Returns the samples'
    /// mean reward. A batch whose advantages are all 0 (every sample as good as its baseline)
    /// has nothing to learn: no step is taken.
    func step(_ batch: [Int], epoch: Int, iteration: Int, learningRate: Float) -> Float? {
        let k = options.samples
        let imageFeatures = train.featureBatch(batch, spec: features)
        let rows: [Tensor?] = batch.indices.map { imageFeatures.selectingRows([$0]).reshaped([features.size]) }
        // The samples depend only on (seed, iteration), so a resumed run draws the same ones.
        var rng = SplitMix64(seed: options.schedule.seed &+ 0x5C57 &+ UInt64(iteration) &* 0x9E37_79B9)
        let sampler = Sampler(maxLength: options.maxLength)
        let samples = sampler.sample(model, features: rows, count: k, rng: &rng).flatMap { $0 }
        let rewards = samples.indices.map { index in
            reward.score(vocabulary.decode(samples[index].words), image: batch[index / k])
        }
        var baselines: [Double]?
        if options.baseline == .greedy {
            baselines = zip(sampler.greedy(model, features: rows), batch).map { caption, image in
                reward.score(vocabulary.decode(caption.words), image: image)
            }
        }
        // A sample cut off by the length limit never chose <end>: the gradient would credit an
        // <end> it did not say, so it only serves as the others' baseline.
        let advantages = zip(advantages(rewards: rewards, baselines: baselines), samples).map { $1.finished ? $0 : 0 }
        let meanReward = Float(rewards.reduce(0, +) / Double(rewards.count))
        guard advantages.contains(where: { $0 != 0 }) else { return meanReward }

        let sampleFeatures = imageFeatures.selectingRows(samples.indices.map { $0 / k })
        var gradients = model.policyGradient(features: sampleFeatures, captions: samples.map(\.words),
                                             advantages: advantages).gradients
        _ = GradientClipping.clipGlobalNorm(&gradients, maxNorm: options.schedule.clipNorm)
        optimizer.learningRate = learningRate
        optimizer.step(&model.parameters, gradients: gradients)
        return meanReward
    }

    /// Dev perplexity, the beam-searched captions' metrics, distinct captions and words.
    /// Best by dev CIDEr-D.
    func evaluate() throws -> (score: Double, evaluation: SelfCriticalEvaluation) {
        let evaluator = CaptionEvaluator(model: model, vocabulary: vocabulary, features: features)
        let search = BeamSearch(beamSize: options.evaluationBeamSize, maxLength: options.maxLength)
        let corpus = try evaluator.corpus(dev, search: search)
        let evaluation = SelfCriticalEvaluation(
            perplexity: evaluator.perplexity(dev, batchSize: 100), scores: CaptionMetrics.score(corpus),
            distinctCaptions: corpus.distinctCandidates, wordsUsed: corpus.candidateVocabulary,
            danglingCaptions: corpus.danglingCandidates)
        return (evaluation.scores.ciderD, evaluation)
    }

    func saveBest(_ evaluation: SelfCriticalEvaluation, state: TrainingState) throws {
        var modelInfo = info
        modelInfo["self_critical_epoch"] = "\(state.epoch)"
        modelInfo["self_critical_seconds"] = String(format: "%.0f", state.seconds)
        modelInfo["dev_perplexity"] = String(format: "%.3f", evaluation.perplexity)
        modelInfo["dev_scores"] = evaluation.scores.summaryLine
        modelInfo["dev_variety"] = "\(evaluation.distinctCaptions) distinct captions, \(evaluation.wordsUsed) words"
        try CaptionModelFile(model: model, vocabulary: vocabulary, tokenizer: tokenizer, features: features,
                             info: modelInfo).write(to: modelURL)
    }

    func saveCheckpoint(state: TrainingState) throws {
        try TrainingCheckpoint.save(to: checkpointURL, format: Self.checkpointFormat, parameters: model.parameters,
                                    config: model.config, optimizer: optimizer, state: state)
    }

    func report(_ evaluation: SelfCriticalEvaluation, epoch: Int, trainLoss: Float, seconds: Double,
                isBest: Bool) -> SelfCriticalReport {
        SelfCriticalReport(epoch: epoch, meanReward: trainLoss, evaluation: evaluation, seconds: seconds, isBest: isBest)
    }

    var reportKind: String { "self-critical" }
    var iterationFigure: String? { "mean reward of the samples (CIDEr-D)" }
    var evaluatesStart: Bool { true }

    var reportFacts: [TrainingReport.Fact] {
        [.init("model", TrainingReport.settings(model.config)),
         .init("reward", "CIDEr-D against each image's references, document frequencies of the \(train.images.count) training images"),
         .init("baseline", options.baseline == .greedy ? "the greedy caption's reward"
               : "the mean reward of the image's other \(options.samples - 1) samples"),
         .init("samples", "\(options.samples) an image, \(options.samples * options.schedule.batchSize) a minibatch"),
         .init("started from", info["start_command"] ?? "a trained captioner")]
    }

    /// BLEU-4 and CIDEr-D in %, the variety of the captions, and perplexity.
    func reportFigures(_ evaluation: SelfCriticalEvaluation) -> [TrainingReport.Figure] {
        [TrainingReport.Figure("CIDEr-D (%)", evaluation.scores.ciderD * 100),
         TrainingReport.Figure("BLEU-4 (%)", evaluation.scores.bleu4 * 100),
         TrainingReport.Figure("distinct captions", Double(evaluation.distinctCaptions)),
         TrainingReport.Figure("words used", Double(evaluation.wordsUsed)),
         TrainingReport.Figure("captions ending on \"a\", \"with\"…", Double(evaluation.danglingCaptions)),
         TrainingReport.Figure("perplexity", Double(evaluation.perplexity))]
    }
}
