import Foundation

/// How long and how fast a model trains: the settings both trainers share. Each trainer's
/// options start from its recipe below, which is also what `caption train` uses by default and
/// what the README reports.
public struct TrainingSchedule: Sendable, Equatable {
    /// Passes over the training data.
    public var epochs: Int
    /// Examples per minibatch.
    public var batchSize: Int
    /// The optimizer's step size in the first epochs.
    public var learningRate: Float
    /// Multiply the learning rate by this after every `decayEvery` epochs.
    public var learningRateDecay: Float
    public var decayEvery: Int
    /// Global-norm gradient clipping threshold.
    public var clipNorm: Float = 5
    /// Write a resumable checkpoint every this many iterations (and after every epoch).
    public var checkpointEvery = 100
    /// Seed of every random choice: initialization, shuffling, dropout.
    public var seed: UInt64 = 1

    public init(epochs: Int, batchSize: Int, learningRate: Float, learningRateDecay: Float, decayEvery: Int) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.decayEvery = decayEvery
    }

    /// The step size during `epoch` (0-based): learningRate · decay^⌊epoch / decayEvery⌋.
    public func learningRate(epoch: Int) -> Float {
        learningRate * pow(learningRateDecay, Float(epoch / max(1, decayEvery)))
    }

    /// The captioner's recipe (Show and Tell on pooled pool5; the shipped ensemble's first two
    /// members): batch 100 as neuraltalk2; Adam at 1e-3, which reached a lower dev perplexity
    /// than neuraltalk2's 4e-4 in the same time on Flickr8k (16.2 vs 18.2); × 0.8 every 4
    /// epochs; dev CIDEr-D peaks near epoch 13 of 16.
    public static let captioner = TrainingSchedule(epochs: 16, batchSize: 100, learningRate: 1e-3,
                                                   learningRateDecay: 0.8, decayEvery: 4)

    /// The aligner's recipe (the shipped aligner): pairs of distinct images, 50 a batch, which
    /// beat 100 and 25 after one epoch on Flickr8k (mean recall 48.7 vs 44.8 and 47.6 on 200 dev
    /// images: twice the updates outweigh the harder ranking of a bigger batch); Adam at 1e-3,
    /// which beat 5e-4 and 2e-3; × 0.7 every 2 epochs. Recall still creeps up at epoch 12.
    public static let aligner = TrainingSchedule(epochs: 16, batchSize: 50, learningRate: 1e-3,
                                                 learningRateDecay: 0.7, decayEvery: 2)
}

/// What a command needs of any trainer: where its files go, and the facts to record in the
/// model file it writes.
public protocol Trainer: AnyObject {
    /// The run's folder.
    var outputDirectory: URL { get }
    /// Facts stored in the model file's `info.*` (the training command, data sizes, …).
    var info: [String: String] { get set }
    /// What is printed after each epoch.
    associatedtype Report: CustomStringConvertible
    /// Minibatches over all epochs.
    var totalIterations: Int { get }
    /// Minibatches done so far (also after a resume).
    var completedIterations: Int { get }
    /// What `progress` reports after each minibatch: "loss", or "reward" for self-critical training.
    var iterationName: String { get }
    /// Runs the remaining epochs. `progress(iteration, figure)` after every minibatch that
    /// learned, `report` after every epoch.
    func run(progress: (Int, Float) -> Void, report: (Report) -> Void) throws
}

extension Trainer {
    public var iterationName: String { "loss" }
    /// The best model so far.
    public var modelURL: URL { outputDirectory.appendingPathComponent("model.safetensors") }
    /// The resumable checkpoint.
    public var checkpointURL: URL { outputDirectory.appendingPathComponent("checkpoint.safetensors") }
}
