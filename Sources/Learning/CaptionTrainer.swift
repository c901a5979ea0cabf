import Text
import Captioning
import Evaluation
import Foundation
import Tensors
import Formats
import Datasets

/// Settings of a captioner training run. The defaults are the recipe the README reports (the
/// shipped ensemble's first two members); `caption train captioner` takes its defaults from here.
public struct CaptionTrainingOptions: Sendable {
    /// Passes over the training captions. On Flickr8k dev, CIDEr-D peaks near epoch 13.
    public var epochs = 16
    /// Captions per minibatch (Show and Tell / neuraltalk2 use 100 or so at this scale).
    public var batchSize = 100
    /// Adam's step size. neuraltalk2 uses 4e-4; 1e-3 reached a lower dev perplexity in the
    /// same time on Flickr8k (16.2 vs 18.2).
    public var learningRate: Float = 1e-3
    /// Multiply the learning rate by this after every `decayEvery` epochs.
    public var learningRateDecay: Float = 0.8
    public var decayEvery = 4
    /// Adam (default) or RMSProp.
    public var optimizer: OptimizerKind = .adam
    /// Global-norm gradient clipping threshold.
    public var clipNorm: Float = 5
    /// Captions longer than this many tokens are cut for training (neuraltalk2: 16).
    public var maxLength = 16
    /// Write a resumable checkpoint every this many iterations.
    public var checkpointEvery = 100
    /// Beam width for the per-epoch dev scores.
    public var evaluationBeamSize = 3
    /// Seed of every random choice: initialization, shuffling, dropout.
    public var seed: UInt64 = 1

    public enum OptimizerKind: String, Sendable, CaseIterable { case adam, rmsprop }

    public init() {}
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
/// cross-entropy, global-norm clipping, Adam or RMSProp with step decay, dropout. Writes a
/// resumable checkpoint every `checkpointEvery` iterations and the best model by dev CIDEr-D
/// (by dev perplexity for text-only models).
///
/// Every random choice derives from `seed`, the epoch and the iteration number, so a resumed run
/// continues exactly as the uninterrupted one would have.
public final class CaptionTrainer {
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
    private var state: TrainingState

    /// Where the run's files go: `model.safetensors` (best so far), `checkpoint.safetensors`.
    public var modelURL: URL { outputDirectory.appendingPathComponent("model.safetensors") }
    public var checkpointURL: URL { outputDirectory.appendingPathComponent("checkpoint.safetensors") }

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
        var rng = SplitMix64(seed: options.seed)
        model = CaptionModel(config: config, rng: &rng)
        optimizer = Self.makeOptimizer(options)
        state = TrainingState()
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointURL.path) else {
                throw TrainingError("\(checkpointURL.path): no checkpoint to resume from")
            }
            try TrainingCheckpoint.restore(from: checkpointURL, model: &model, optimizer: &optimizer, state: &state)
        }
    }

    private static func makeOptimizer(_ options: CaptionTrainingOptions) -> any Optimizer {
        switch options.optimizer {
        case .adam: return Adam(learningRate: options.learningRate)
        case .rmsprop: return RMSProp(learningRate: options.learningRate)
        }
    }

    public var iterationsPerEpoch: Int { (train.pairs.count + options.batchSize - 1) / options.batchSize }
    public var completedIterations: Int { state.epoch * iterationsPerEpoch + state.batchInEpoch }

    /// Runs the remaining epochs. `progress(iteration, loss)` after every minibatch,
    /// `report` after every epoch.
    public func run(progress: (Int, Float) -> Void, report: (EpochReport) -> Void) throws {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        while state.epoch < options.epochs {
            let start = Date()
            let order = epochOrder(state.epoch)
            optimizer.learningRate = options.learningRate
                * pow(options.learningRateDecay, Float(state.epoch / max(1, options.decayEvery)))
            while state.batchInEpoch < iterationsPerEpoch {
                let batch = order[(state.batchInEpoch * options.batchSize)..<min(order.count, (state.batchInEpoch + 1) * options.batchSize)]
                let loss = step(batch.map { train.pairs[$0] })
                state.lossSum += Double(loss)
                state.lossCount += 1
                state.batchInEpoch += 1
                progress(completedIterations, loss)
                if completedIterations % options.checkpointEvery == 0 { try saveCheckpoint() }
            }
            let epochReport = try finishEpoch(seconds: Date().timeIntervalSince(start))
            report(epochReport)
        }
    }

    /// One minibatch: loss and gradients, clipping, an optimizer step. Returns the loss.
    private func step(_ pairs: [CaptionTrainingSet.Pair]) -> Float {
        let batchFeatures = features.map { train.featureBatch(pairs.map(\.image), spec: $0) }
        // Dropout masks depend only on (seed, iteration), so a resumed run draws the same ones.
        var rng = SplitMix64(seed: options.seed &+ 0x5EED &+ UInt64(completedIterations) &* 0x9E37_79B9)
        var (loss, gradients, _) = model.loss(features: batchFeatures, captions: pairs.map(\.words), rng: &rng, training: true)
        _ = GradientClipping.clipGlobalNorm(&gradients, maxNorm: options.clipNorm)
        optimizer.step(&model.parameters, gradients: gradients)
        return loss
    }

    /// The epoch's permutation of the training pairs (Fisher–Yates with an epoch-seeded RNG).
    private func epochOrder(_ epoch: Int) -> [Int] {
        var rng = SplitMix64(seed: options.seed ^ (UInt64(epoch + 1) &* 0xD1B5_4A32_D192_ED03))
        var order = Array(train.pairs.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return order
    }

    private func finishEpoch(seconds: Double) throws -> EpochReport {
        let trainLoss = Float(state.lossSum / Double(max(1, state.lossCount)))
        let evaluation = CaptionEvaluator(model: model, vocabulary: vocabulary, features: features)
        let perplexity = evaluation.perplexity(dev, batchSize: options.batchSize)
        var scores: MetricScores?
        if features != nil {
            let search = BeamSearch(beamSize: options.evaluationBeamSize, maxLength: options.maxLength + 4)
            scores = try evaluation.scores(dev, search: search)
        }
        // Best by CIDEr-D when captioning, by perplexity for a language model.
        let score = scores.map { $0.ciderD } ?? -Double(perplexity)
        let isBest = state.bestScore.map { score > $0 } ?? true
        state.epoch += 1
        state.seconds += seconds
        state.batchInEpoch = 0
        state.lossSum = 0
        state.lossCount = 0
        if isBest {
            state.bestScore = score
            var modelInfo = info
            modelInfo["epoch"] = "\(state.epoch)"
            modelInfo["training_seconds"] = String(format: "%.0f", state.seconds)
            modelInfo["dev_perplexity"] = String(format: "%.3f", perplexity)
            if let scores { modelInfo["dev_scores"] = scores.summaryLine }
            try CaptionModelFile(model: model, vocabulary: vocabulary, tokenizer: tokenizer, features: features,
                                 info: modelInfo).write(to: modelURL)
        }
        try saveCheckpoint()
        return EpochReport(epoch: state.epoch, trainLoss: trainLoss, devPerplexity: perplexity,
                           devScores: scores, seconds: seconds, isBest: isBest)
    }

    private func saveCheckpoint() throws {
        try TrainingCheckpoint.save(to: checkpointURL, model: model, optimizer: optimizer, state: state)
    }
}

/// Where a run stands, saved in checkpoints.
struct TrainingState: Codable, Sendable {
    var epoch = 0
    var batchInEpoch = 0
    var lossSum = 0.0
    var lossCount = 0
    var bestScore: Double?
    /// Wall-clock seconds spent in finished epochs, across resumes.
    var seconds = 0.0
}

/// A training run that cannot go on, with the reason.
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
