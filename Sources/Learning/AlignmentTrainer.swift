import Text
import Alignment
import Captioning
import Evaluation
import Foundation
import Tensors
import Formats
import Datasets

/// Settings of an aligner training run.
public struct AlignmentTrainingOptions: Sendable {
    /// Passes over the training sentences. On Flickr8k dev recall still creeps up at epoch 12
    /// of the default schedule, by then at a fifth of the initial rate.
    public var epochs = 16
    /// (image, sentence) pairs per minibatch, all of distinct images: each pair's negatives are
    /// the other B − 1 of the batch. On Flickr8k, 50 beat 100 and 25 after one epoch (mean
    /// recall 48.7 vs 44.8 and 47.6 on 200 dev images) at the same cost an epoch: twice the
    /// updates outweigh the harder ranking of a bigger batch.
    public var batchSize = 50
    /// Adam's step size: 1e-3 beat 5e-4 and 2e-3 after one epoch on Flickr8k.
    public var learningRate: Float = 1e-3
    /// Multiply the learning rate by this after every `decayEvery` epochs.
    public var learningRateDecay: Float = 0.7
    public var decayEvery = 2
    /// Global-norm clipping threshold, applied to the gradient of the per-pair mean loss.
    public var clipNorm: Float = 5
    /// Write a resumable checkpoint every this many iterations.
    public var checkpointEvery = 100
    /// Seed of every random choice: initialization and the batches.
    public var seed: UInt64 = 1
    /// How the best model is stored (`.f16` halves the file).
    public var modelDType: SafeTensorsDType = .f32

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
public final class AlignmentTrainer {
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
    private var state: TrainingState
    /// The number of batches of each epoch, fixed by the seed.
    private let batchCounts: [Int]

    /// Where the run's files go: `model.safetensors` (best so far), `checkpoint.safetensors`.
    public var modelURL: URL { outputDirectory.appendingPathComponent("model.safetensors") }
    public var checkpointURL: URL { outputDirectory.appendingPathComponent("checkpoint.safetensors") }

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
        model = AlignmentModel(config: config, seed: options.seed, wordEmbedding: wordEmbedding)
        optimizer = Adam(learningRate: options.learningRate)
        state = TrainingState()
        batchCounts = (0..<options.epochs).map { epoch in
            Self.batches(train, epoch: epoch, options: options).count
        }
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointURL.path) else {
                throw TrainingError("\(checkpointURL.path): no checkpoint to resume from")
            }
            let saved = try TrainingCheckpoint.read(from: checkpointURL, format: Self.checkpointFormat, expecting: config)
            model = try AlignmentModel(config: config, parameters: saved.parameters)
            optimizer.restore(saved.optimizer)
            state = saved.state
        }
    }

    /// Minibatches over all epochs.
    public var totalIterations: Int { batchCounts.reduce(0, +) }
    /// Minibatches done so far (also after a resume).
    public var completedIterations: Int {
        batchCounts.prefix(min(state.epoch, batchCounts.count)).reduce(0, +) + state.batchInEpoch
    }
    /// The epochs already finished.
    public var completedEpochs: Int { state.epoch }

    /// Runs the remaining epochs. `progress(iteration, loss)` after every minibatch (loss per
    /// pair), `report` after every epoch.
    public func run(progress: (Int, Float) -> Void, report: (AlignmentEpochReport) -> Void) throws {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        while state.epoch < options.epochs {
            let start = Date()
            let batches = Self.batches(train, epoch: state.epoch, options: options)
            optimizer.learningRate = options.learningRate
                * pow(options.learningRateDecay, Float(state.epoch / max(1, options.decayEvery)))
            while state.batchInEpoch < batches.count {
                let batch = batches[state.batchInEpoch]
                // A batch of one pair has no negatives: nothing to learn from it.
                if batch.count >= 2 {
                    let loss = step(batch)
                    state.lossSum += Double(loss)
                    state.lossCount += 1
                    progress(completedIterations + 1, loss)
                }
                state.batchInEpoch += 1
                if completedIterations % options.checkpointEvery == 0 { try saveCheckpoint() }
            }
            report(try finishEpoch(seconds: Date().timeIntervalSince(start)))
        }
    }

    /// One minibatch: loss and gradients, scaled to the per-pair mean (so the clipping threshold
    /// and learning rate don't depend on the batch size), clipping, an Adam step. Returns the
    /// ranking loss per pair.
    private func step(_ batch: [Int]) -> Float {
        let result = model.loss(regions: batch.map { train.regions[train.sentenceImages[$0]] },
                                sentences: batch.map { train.sentences[$0] })
        var gradients = result.gradients
        let scale = 1 / Float(batch.count)
        for name in gradients.keys {
            gradients[name]!.data.withUnsafeMutableBufferPointer { g in
                for k in g.indices { g[k] *= scale }
            }
        }
        GradientClipping.clipGlobalNorm(&gradients, maxNorm: options.clipNorm)
        optimizer.step(&model.parameters, gradients: gradients)
        return result.ranking * scale
    }

    /// The epoch's batches: a seeded shuffle of the sentences, dealt so no batch repeats an image.
    static func batches(_ set: AlignmentTrainingSet, epoch: Int, options: AlignmentTrainingOptions) -> [[Int]] {
        DistinctImageBatches.make(pairImages: set.sentenceImages, batchSize: options.batchSize,
                                  seed: options.seed ^ (UInt64(epoch + 1) &* 0xD1B5_4A32_D192_ED03))
    }

    private func finishEpoch(seconds: Double) throws -> AlignmentEpochReport {
        let trainLoss = Float(state.lossSum / Double(max(1, state.lossCount)))
        let metrics = AlignmentEvaluator(model: model).metrics(dev)
        let isBest = state.bestScore.map { metrics.meanRecall > $0 } ?? true
        state.epoch += 1
        state.batchInEpoch = 0
        state.lossSum = 0
        state.lossCount = 0
        if isBest {
            state.bestScore = metrics.meanRecall
            var modelInfo = info
            modelInfo["epoch"] = "\(state.epoch)"
            modelInfo["dev_images"] = "\(dev.images.count)"
            modelInfo["dev_sentences"] = "\(dev.sentences.count)"
            modelInfo["dev_retrieval"] = metrics.summaryLine
            try AlignmentModelFile(model: model, vocabulary: vocabulary, tokenizer: tokenizer, info: modelInfo)
                .write(to: modelURL, dtype: options.modelDType)
        }
        try saveCheckpoint()
        return AlignmentEpochReport(epoch: state.epoch, trainLoss: trainLoss, dev: metrics, seconds: seconds, isBest: isBest)
    }

    private func saveCheckpoint() throws {
        try TrainingCheckpoint.save(to: checkpointURL, format: Self.checkpointFormat, parameters: model.parameters,
                                    config: model.config, optimizer: optimizer, state: state)
    }
}
