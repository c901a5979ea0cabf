import Text
import Captioning
import Evaluation
import Foundation
import Tensors
import Formats
import Datasets

/// Settings of a captioner training run. The defaults are the recipe the README reports;
/// `caption train captioner` takes its defaults from here.
public struct CaptionTrainingOptions: Sendable {
    public var schedule = TrainingSchedule.captioner
    /// Adam (default) or RMSProp.
    public var optimizer: OptimizerKind = .adam
    /// Captions longer than this many tokens are cut for training (neuraltalk2: 16).
    public var maxLength = 16
    /// Beam width for the per-epoch dev scores.
    public var evaluationBeamSize = 3

    public enum OptimizerKind: String, Sendable, CaseIterable { case adam, rmsprop }

    public init() {}

    /// A fresh optimizer of `optimizer`'s kind at the schedule's learning rate.
    func makeOptimizer() -> any Optimizer {
        switch optimizer {
        case .adam: Adam(learningRate: schedule.learningRate)
        case .rmsprop: RMSProp(learningRate: schedule.learningRate)
        }
    }
}

/// One epoch's report line.
public struct EpochReport: Sendable, CustomStringConvertible {
    public var epoch: Int
    public var trainLoss: Float
    public var devPerplexity: Float
    /// nil for text-only models (no images to caption).
    public var devScores: MetricScores?
    public var seconds: Double
    public var isBest: Bool

    public var description: String {
        var line = "epoch \(epoch)  train loss \(String(format: "%.3f", trainLoss))  dev perplexity \(String(format: "%.2f", devPerplexity))"
        if let s = devScores {
            line += String(format: "  dev BLEU-4 %.1f  CIDEr %.1f", s.bleu4 * 100, s.ciderD * 100)
        }
        return line + String(format: "  %.0fs", seconds) + (isBest ? "  (best)" : "")
    }
}

/// Trains a `CaptionModel` on a `CaptionTrainingSet`: shuffled minibatches, teacher-forced
/// cross-entropy, global-norm clipping, Adam or RMSProp with step decay, dropout, through the
/// shared `EpochLoop` (checkpoints, resume, the best model by dev CIDEr-D, or by dev perplexity
/// for text-only models).
///
/// Every random choice derives from `seed`, the epoch and the iteration number, so a resumed run
/// continues exactly as the uninterrupted one would have.
public final class CaptionTrainer: Trainer {
    static let checkpointFormat = "caption-checkpoint-1"

    public let options: CaptionTrainingOptions
    public let train: CaptionTrainingSet
    public let dev: CaptionTrainingSet
    public let vocabulary: Vocabulary
    public let tokenizer: Tokenizer
    public let features: ImageFeatureSpec?
    public let outputDirectory: URL
    public var info: [String: String] = [:]

    public private(set) var model: CaptionModel
    private var optimizer: any Optimizer
    private var loop: EpochLoop

    public init(config: CaptionModel.Config, options: CaptionTrainingOptions, train: CaptionTrainingSet,
                dev: CaptionTrainingSet, vocabulary: Vocabulary, tokenizer: Tokenizer, features: ImageFeatureSpec?,
                outputDirectory: URL, resume: Bool) throws {
        self.options = options
        self.train = train
        self.dev = dev
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.features = features
        self.outputDirectory = outputDirectory
        let schedule = options.schedule
        var rng = SplitMix64(seed: schedule.seed)
        model = CaptionModel(config: config, rng: &rng)
        optimizer = options.makeOptimizer()
        let perEpoch = (train.pairs.count + schedule.batchSize - 1) / schedule.batchSize
        loop = EpochLoop(schedule: schedule, batchCounts: Array(repeating: perEpoch, count: schedule.epochs))
        if resume {
            let saved = try TrainingCheckpoint.read(from: checkpointURL, format: Self.checkpointFormat, expecting: config)
            model = try CaptionModel(config: config, parameters: saved.parameters)
            optimizer.restore(saved.optimizer)
            loop.resume(from: saved.state, folder: outputDirectory)
        }
    }

    public var iterationsPerEpoch: Int { loop.batchCounts.first ?? 0 }
    public var totalIterations: Int { loop.totalIterations }
    public var completedIterations: Int { loop.completedIterations }

    public func run(progress: (Int, Float) -> Void, report: (EpochReport) -> Void) throws {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        try loop.run(self, progress: progress, report: report)
    }
}

extension CaptionTrainer: EpochTraining {
    /// The epoch's permutation of the training pairs, cut into minibatches.
    func batches(epoch: Int) -> [[Int]] {
        EpochLoop.shuffledBatches(count: train.pairs.count, size: options.schedule.batchSize, seed: options.schedule.seed, epoch: epoch)
    }

    /// One minibatch: loss and gradients, clipping, an optimizer step. Returns the loss.
    func step(_ batch: [Int], epoch: Int, iteration: Int, learningRate: Float) -> Float? {
        let pairs = batch.map { train.pairs[$0] }
        let batchFeatures = features.map { train.featureBatch(pairs.map(\.image), spec: $0) }
        // Dropout masks depend only on (seed, iteration), so a resumed run draws the same ones.
        var rng = SplitMix64(seed: options.schedule.seed &+ 0x5EED &+ UInt64(iteration) &* 0x9E37_79B9)
        return CaptionTrainingStep.run(model: &model, optimizer: &optimizer, features: batchFeatures,
                                       captions: pairs.map(\.words), rng: &rng, clipNorm: options.schedule.clipNorm,
                                       learningRate: learningRate)
    }

    /// Dev perplexity, and BLEU / ROUGE-L / CIDEr-D of beam-searched captions for a captioner.
    /// Best by CIDEr-D when captioning, by perplexity for a language model.
    func evaluate() throws -> (score: Double, evaluation: (perplexity: Float, scores: MetricScores?)) {
        let evaluation = CaptionEvaluator(model: model, vocabulary: vocabulary, features: features)
        let perplexity = evaluation.perplexity(dev, batchSize: options.schedule.batchSize)
        var scores: MetricScores?
        if features != nil {
            let search = BeamSearch(beamSize: options.evaluationBeamSize, maxLength: options.maxLength + 4)
            scores = try evaluation.scores(dev, search: search)
        }
        return (scores.map { $0.ciderD } ?? -Double(perplexity), (perplexity, scores))
    }

    func saveBest(_ evaluation: (perplexity: Float, scores: MetricScores?), state: TrainingState) throws {
        var modelInfo = info
        modelInfo["epoch"] = "\(state.epoch)"
        modelInfo["training_seconds"] = String(format: "%.0f", state.seconds)
        modelInfo["dev_perplexity"] = String(format: "%.3f", evaluation.perplexity)
        if let scores = evaluation.scores { modelInfo["dev_scores"] = scores.summaryLine }
        try CaptionModelFile(model: model, vocabulary: vocabulary, tokenizer: tokenizer, features: features,
                             info: modelInfo).write(to: modelURL)
    }

    func saveCheckpoint(state: TrainingState) throws {
        try TrainingCheckpoint.save(to: checkpointURL, format: Self.checkpointFormat, parameters: model.parameters,
                                    config: model.config, optimizer: optimizer, state: state)
    }

    func report(_ evaluation: (perplexity: Float, scores: MetricScores?), epoch: Int, trainLoss: Float,
                seconds: Double, isBest: Bool) -> EpochReport {
        EpochReport(epoch: epoch, trainLoss: trainLoss, devPerplexity: evaluation.perplexity,
                    devScores: evaluation.scores, seconds: seconds, isBest: isBest)
    }
}

extension CaptionTrainer {
    var reportKind: String { features == nil ? "language model" : "captioner" }

    var reportFacts: [TrainingReport.Fact] {
        [.init("model", TrainingReport.settings(model.config)), .init("optimizer", options.optimizer.rawValue),
         .init("captions", "\(train.pairs.count) of \(train.images.count) images in training, \(dev.pairs.count) in dev")]
    }

    /// Dev perplexity, and BLEU-4 and CIDEr-D in % as the epoch line prints them.
    func reportFigures(_ evaluation: (perplexity: Float, scores: MetricScores?)) -> [TrainingReport.Figure] {
        var figures = [TrainingReport.Figure("perplexity", Double(evaluation.perplexity))]
        if let scores = evaluation.scores {
            figures.append(TrainingReport.Figure("BLEU-4 (%)", scores.bleu4 * 100))
            figures.append(TrainingReport.Figure("CIDEr-D (%)", scores.ciderD * 100))
        }
        return figures
    }
}
