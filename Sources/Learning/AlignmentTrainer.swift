import Text
import Alignment
import Captioning
import Evaluation
import Foundation
import Tensors
import Formats
import Datasets

/// Settings of an aligner training run; `caption train aligner` takes its defaults from here.
public struct AlignmentTrainingOptions: Sendable {
    public var schedule = TrainingSchedule.aligner
    /// How the best model is stored (`.f16` halves the file).
    public var modelDType: SafeTensorsDType = .f32
    /// The first epoch (0-based) ranked against each pair's hardest negatives only (VSE++'s max
    /// of hinges, `RankingLoss.Negatives.hardest`); the epochs before it sum over all negatives,
    /// which gives the max a model worth sharpening. nil: the sum throughout, as the paper.
    public var hardNegativesFrom: Int?

    public init() {}
}

/// One epoch's report line.
public struct AlignmentEpochReport: Sendable, CustomStringConvertible {
    public var epoch: Int
    /// The ranking loss per (image, sentence) pair, averaged over the epoch's batches.
    public var trainLoss: Float
    public var dev: RetrievalMetrics
    public var seconds: Double
    public var isBest: Bool

    public var description: String {
        "epoch \(epoch)  train loss \(String(format: "%.3f", trainLoss))  dev \(dev.summaryLine)"
            + String(format: "  mean R %.1f  %.0fs", dev.meanRecall * 100, seconds) + (isBest ? "  (best)" : "")
    }
}

/// Trains an `AlignmentModel` (Karpathy & Fei-Fei 2015, §3.1) on an `AlignmentTrainingSet`:
/// shuffled minibatches of pairs with distinct images (`DistinctImageBatches`), the
/// bidirectional ranking loss, global-norm clipping, Adam with step decay. After every epoch it
/// ranks the whole dev split both ways and keeps the best model by mean recall (R@1/5/10, both
/// directions) in `model.safetensors`; a resumable checkpoint is written every
/// `checkpointEvery` iterations and at the end of every epoch.
///
/// Every random choice derives from `seed` and the epoch number, so a resumed run continues
/// exactly as the uninterrupted one would have.
public final class AlignmentTrainer: Trainer {
    public static let checkpointFormat = "caption-aligner-checkpoint-1"

    public let options: AlignmentTrainingOptions
    public let train: AlignmentTrainingSet
    public let dev: AlignmentTrainingSet
    public let vocabulary: Vocabulary
    public let tokenizer: Tokenizer
    public let outputDirectory: URL
    /// Facts stored in the model file's `info.*` (training command, …).
    public var info: [String: String] = [:]

    public private(set) var model: AlignmentModel
    private var optimizer: any Optimizer
    private var loop: EpochLoop
    /// The last dev evaluation's score matrix, which the saved model's match is calibrated on.
    private var devScores: AlignmentScoreMatrix?

    /// - Parameter wordEmbedding: `[V, E]` to start the word vectors from (e.g. a captioner's
    ///   `embed`, for the same vocabulary), or nil for random ones.
    public init(config: AlignmentConfig, options: AlignmentTrainingOptions, train: AlignmentTrainingSet,
                dev: AlignmentTrainingSet, vocabulary: Vocabulary, tokenizer: Tokenizer, wordEmbedding: Tensor? = nil,
                outputDirectory: URL, resume: Bool) throws {
        precondition(config.vocabularySize == vocabulary.count, "config and vocabulary disagree on V")
        self.options = options
        self.train = train
        self.dev = dev
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.outputDirectory = outputDirectory
        let schedule = options.schedule
        model = AlignmentModel(config: config, seed: schedule.seed, wordEmbedding: wordEmbedding)
        optimizer = Adam(learningRate: schedule.learningRate)
        loop = EpochLoop(schedule: schedule, batchCounts: (0..<schedule.epochs).map { epoch in
            Self.batches(train, epoch: epoch, schedule: schedule).count
        })
        if resume {
            let saved = try TrainingCheckpoint.read(from: checkpointURL, format: Self.checkpointFormat, expecting: config)
            model = try AlignmentModel(config: config, parameters: saved.parameters)
            optimizer.restore(saved.optimizer)
            loop.resume(from: saved.state, folder: outputDirectory)
        }
    }

    public var totalIterations: Int { loop.totalIterations }
    public var completedIterations: Int { loop.completedIterations }
    /// The epochs already finished.
    public var completedEpochs: Int { loop.state.epoch }

    /// The loss `progress` gets is per pair.
    public func run(progress: (Int, Float) -> Void, report: (AlignmentEpochReport) -> Void) throws {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        try loop.run(self, progress: progress, report: report)
    }

    /// The epoch's batches: a seeded shuffle of the sentences, dealt so no batch repeats an image.
    static func batches(_ set: AlignmentTrainingSet, epoch: Int, schedule: TrainingSchedule) -> [[Int]] {
        DistinctImageBatches.make(pairImages: set.sentenceImages, batchSize: schedule.batchSize,
                                  seed: schedule.seed ^ (UInt64(epoch + 1) &* 0xD1B5_4A32_D192_ED03))
    }
}

extension AlignmentTrainer: EpochTraining {
    func batches(epoch: Int) -> [[Int]] { Self.batches(train, epoch: epoch, schedule: options.schedule) }

    /// One minibatch: loss and gradients, scaled to the per-pair mean (so the clipping threshold
    /// and learning rate don't depend on the batch size), clipping, an Adam step. Returns the
    /// ranking loss per pair; nil for a batch of one pair, which has no negatives to learn from.
    func step(_ batch: [Int], epoch: Int, iteration: Int, learningRate: Float) -> Float? {
        guard batch.count >= 2 else { return nil }
        let negatives: RankingLoss.Negatives = options.hardNegativesFrom.map { epoch >= $0 } == true ? .hardest : .all
        let result = model.loss(regions: batch.map { train.regions[train.sentenceImages[$0]] },
                                sentences: batch.map { train.sentences[$0] }, negatives: negatives)
        var gradients = result.gradients
        let scale = 1 / Float(batch.count)
        for name in gradients.keys {
            gradients[name]!.data.withUnsafeMutableBufferPointer { g in
                for k in g.indices { g[k] *= scale }
            }
        }
        GradientClipping.clipGlobalNorm(&gradients, maxNorm: options.schedule.clipNorm)
        optimizer.learningRate = learningRate
        optimizer.step(&model.parameters, gradients: gradients)
        return result.ranking * scale
    }

    /// Ranks the whole dev split both ways; best by mean recall.
    func evaluate() throws -> (score: Double, evaluation: RetrievalMetrics) {
        let evaluator = AlignmentEvaluator(model: model)
        let scores = evaluator.scores(dev)
        devScores = scores
        let metrics = evaluator.metrics(dev, scores: scores)
        return (metrics.meanRecall, metrics)
    }

    func saveBest(_ metrics: RetrievalMetrics, state: TrainingState) throws {
        var modelInfo = info
        modelInfo["epoch"] = "\(state.epoch)"
        modelInfo["dev_images"] = "\(dev.images.count)"
        modelInfo["dev_sentences"] = "\(dev.sentences.count)"
        modelInfo["dev_retrieval"] = metrics.summaryLine
        var file = AlignmentModelFile(model: model, vocabulary: vocabulary, tokenizer: tokenizer, info: modelInfo)
        // The match probability, calibrated on the same dev ranking (nil only for a degenerate
        // dev split, e.g. one image: then the model is saved without it).
        file.calibration = devScores.flatMap { try? MatchCalibration.fit(scores: $0, sentenceImages: dev.sentenceImages) }
        try file.write(to: modelURL, dtype: options.modelDType)
    }

    func saveCheckpoint(state: TrainingState) throws {
        try TrainingCheckpoint.save(to: checkpointURL, format: Self.checkpointFormat, parameters: model.parameters,
                                    config: model.config, optimizer: optimizer, state: state)
    }

    func report(_ metrics: RetrievalMetrics, epoch: Int, trainLoss: Float, seconds: Double, isBest: Bool) -> AlignmentEpochReport {
        AlignmentEpochReport(epoch: epoch, trainLoss: trainLoss, dev: metrics, seconds: seconds, isBest: isBest)
    }
}

extension AlignmentTrainer {
    var reportKind: String { "aligner" }

    var reportFacts: [TrainingReport.Fact] {
        [.init("model", TrainingReport.settings(model.config)),
         .init("hard negatives", options.hardNegativesFrom.map { "from epoch \($0 + 1)" } ?? "never (sum over all negatives)"),
         .init("sentences", "\(train.sentences.count) of \(train.images.count) images in training, "
                 + "\(dev.sentences.count) of \(dev.images.count) in dev")]
    }

    /// R@1/5/10 both ways and the mean of the six (what picks the best epoch), in %, and the
    /// median ranks.
    func reportFigures(_ metrics: RetrievalMetrics) -> [TrainingReport.Figure] {
        var figures: [TrainingReport.Figure] = []
        for (plot, direction) in [("image annotation recall (%)", metrics.annotation), ("image search recall (%)", metrics.search)] {
            for k in [1, 5, 10] {
                figures.append(TrainingReport.Figure(plot: plot, series: "R@\(k)", value: direction.recall(at: k) * 100))
            }
        }
        figures.append(TrainingReport.Figure("mean recall (%)", metrics.meanRecall * 100))
        figures.append(TrainingReport.Figure(plot: "median rank", series: "annotation", value: Double(metrics.annotation.medianRank)))
        figures.append(TrainingReport.Figure(plot: "median rank", series: "search", value: Double(metrics.search.medianRank)))
        return figures
    }
}
