import Application
import ArgumentParser
import Datasets
import Encoder
import Foundation
import Learning
import Support

/// What both `caption train` commands take: the dataset and its splits, the output folder and
/// the schedule. A schedule option left out takes the trainer's recipe
/// (`TrainingSchedule.captioner` or `.aligner`), the values the README reports.
struct TrainingOptions: ParsableArguments {
    private static let (captioner, aligner) = (TrainingSchedule.captioner, TrainingSchedule.aligner)

    /// "(default: 100 for the captioner, 50 for the aligner)", or one value when both agree.
    private static func defaults<T: Equatable>(_ field: KeyPath<TrainingSchedule, T>) -> String {
        let (a, b) = (captioner[keyPath: field], aligner[keyPath: field])
        return a == b ? "(default: \(a))" : "(default: \(a) for the captioner, \(b) for the aligner)"
    }

    @OptionGroup var dataset: DatasetOptions

    @Option(help: ArgumentHelp("Training split: a split file, or names (train; train,restval for Karpathy COCO).", valueName: "split"))
    var split = "train"

    @Option(help: ArgumentHelp("Split scored after every epoch to choose the best one.", valueName: "split"))
    var devSplit = "dev"

    @Option(help: ArgumentHelp("Output folder for model.safetensors and checkpoint.safetensors (default: runs/captioner or runs/aligner).", valueName: "dir"))
    var out: String?

    @Flag(help: "Continue from OUT/checkpoint.safetensors.")
    var resume = false

    @Option(help: ArgumentHelp("Words seen fewer times than this in training captions become <unk>.", valueName: "n"))
    var minCount = 5

    @Option(help: ArgumentHelp("Passes over the training data \(defaults(\.epochs)).", valueName: "n"))
    var epochs: Int?

    @Option(help: ArgumentHelp("Examples per minibatch \(defaults(\.batchSize)).", valueName: "n"))
    var batchSize: Int?

    @Option(help: ArgumentHelp("The optimizer's step size \(defaults(\.learningRate)).", valueName: "rate"))
    var learningRate: Float?

    @Option(help: ArgumentHelp("Multiply the learning rate by this every --decay-every epochs \(defaults(\.learningRateDecay)).", valueName: "factor"))
    var learningRateDecay: Float?

    @Option(help: ArgumentHelp("Epochs between learning-rate decays \(defaults(\.decayEvery)).", valueName: "n"))
    var decayEvery: Int?

    @Option(help: ArgumentHelp("Clip the gradients' global norm to this \(defaults(\.clipNorm)).", valueName: "norm"))
    var clipNorm: Float?

    @Option(help: ArgumentHelp("Iterations between checkpoints \(defaults(\.checkpointEvery)).", valueName: "n"))
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Seed for initialization, shuffling and dropout: the same seed repeats the run \(defaults(\.seed)).", valueName: "n"))
    var seed: UInt64?

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        func check<T: Comparable>(_ value: T?, _ range: ClosedRange<T>, _ option: String) throws {
            if let value, !range.contains(value) {
                throw ValidationError("\(option): must be in \(range.lowerBound)…\(range.upperBound), got \(value)")
            }
        }
        try check(minCount, 1...1_000_000, "--min-count")
        try check(epochs, 1...1_000, "--epochs")
        try check(batchSize, 1...100_000, "--batch-size")
        try check(learningRate, 1e-8...1, "--learning-rate")
        try check(learningRateDecay, 1e-3...1, "--learning-rate-decay")
        try check(decayEvery, 1...1_000, "--decay-every")
        try check(clipNorm, 1e-6...1e6, "--clip-norm")
        try check(checkpointEvery, 1...1_000_000_000, "--checkpoint-every")
    }

    /// `recipe` with the options given on the command line.
    func schedule(_ recipe: TrainingSchedule) -> TrainingSchedule {
        var schedule = recipe
        schedule.epochs = epochs ?? schedule.epochs
        schedule.batchSize = batchSize ?? schedule.batchSize
        schedule.learningRate = learningRate ?? schedule.learningRate
        schedule.learningRateDecay = learningRateDecay ?? schedule.learningRateDecay
        schedule.decayEvery = decayEvery ?? schedule.decayEvery
        schedule.clipNorm = clipNorm ?? schedule.clipNorm
        schedule.checkpointEvery = checkpointEvery ?? schedule.checkpointEvery
        schedule.seed = seed ?? schedule.seed
        return schedule
    }

    /// The dataset's training and dev splits.
    func splits() throws -> (train: CaptionDataset, dev: CaptionDataset) {
        (try dataset.load(split: split), try dataset.load(split: devSplit))
    }

    /// Both splits' encoder features, through the feature cache (conv5_3 for a `regionGrid` of 14;
    /// a cache made before conv5_3 was kept is refused then, before any work).
    func features(train: CaptionDataset, dev: CaptionDataset, regionGrid: Int = 7) throws
        -> (train: [EncoderFeatures], dev: [EncoderFeatures]) {
        let cache = try imageOptions.cachedFeatures(dataset.cache)
        try cache.checkRegions(grid: regionGrid, reader: "the model to train")
        return (try cache.features(of: train, datasetName: dataset.data, label: "train", quiet: quiet, regionGrid: regionGrid),
                try cache.features(of: dev, datasetName: dataset.data, label: "dev", quiet: quiet, regionGrid: regionGrid))
    }

    /// A trainer writing to --out (default `defaultOut`), its construction errors (a checkpoint
    /// that does not fit, a folder that cannot be written) reported against that folder, with
    /// the command line recorded for the model file.
    func trainer<T: Trainer>(defaultOut: String, _ make: (_ out: URL) throws -> T) throws -> (trainer: T, out: String) {
        let out = self.out ?? defaultOut
        do {
            let trainer = try make(URL(fileURLWithPath: out))
            trainer.info["command"] = (["caption"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            return (trainer, out)
        } catch {
            throw CaptionError.wrapping(error, subject: out)
        }
    }

    /// Runs `trainer`'s epochs (writing to `outputFolder`) with a progress bar, printing each
    /// epoch's report, then where the best model is.
    func run<T: Trainer>(_ trainer: T, outputFolder: String) throws {
        let (iterations, completed, figure) = (trainer.totalIterations, trainer.completedIterations, trainer.iterationName)
        let progress = ProgressBar(total: iterations, unit: "it", quiet: quiet)
        progress.advance(by: completed)
        let started = Date()
        defer { progress.finish() }
        do {
            try trainer.run(progress: { iteration, loss in
                progress.advance(by: iteration - progress.done, note: String(format: "\(figure) %.3f", loss))
            }, report: { report in
                progress.finish()
                emit(report)
            })
        } catch {
            throw CaptionError.wrapping(error, subject: outputFolder)
        }
        progress.finish()
        emit("done in \(ProgressBar.duration(Date().timeIntervalSince(started))); best model: \(trainer.modelURL.path)")
    }
}
