import Application
import Text
import ArgumentParser
import Captioning
import Encoder
import Foundation
import Tensors
import Datasets
import Learning
import Support

/// `caption train captioner`: the Show-and-Tell decoder on cached VGG16 features.
struct TrainCaptionerCommand: ParsableCommand {
    private static let defaults = CaptionTrainingOptions()

    static let configuration = CommandConfiguration(
        commandName: "captioner",
        abstract: "Train the caption decoder (LSTM, GRU or RNN) on a dataset.",
        discussion: """
        The encoder runs once per image and its outputs go into the feature cache (--cache), so \
        a second run, or a run on another split, starts training at once. Every epoch prints the \
        dev split's perplexity, BLEU-4 and CIDEr-D; the best model by CIDEr-D is kept in \
        OUT/model.safetensors, with the vocabulary and settings inside. A checkpoint is written \
        every --checkpoint-every iterations: rerun with --resume after a crash or Ctrl-C.

        With --text-only the same decoder is trained as a plain language model on the captions \
        (no image); add --chars to model characters instead of words. `caption sample` then \
        writes text from it.

        Examples:
          caption train captioner --data ../shared/datasets/flickr8k --out runs/flickr8k
          caption train captioner --data dataset_coco.json --split train,restval --dev-split val
          caption train captioner --data ../shared/datasets/flickr8k --text-only --chars --out runs/chars
        """)

    @OptionGroup var dataset: DatasetOptions

    @Option(help: ArgumentHelp("Training split: a split file, or names (train; train,restval for Karpathy COCO).", valueName: "split"))
    var split = "train"

    @Option(help: ArgumentHelp("Split used for the per-epoch scores and choosing the best epoch.", valueName: "split"))
    var devSplit = "dev"

    @Option(help: ArgumentHelp("Output folder for model.safetensors and checkpoint.safetensors.", valueName: "dir"))
    var out = "runs/captioner"

    @Flag(help: "Continue from OUT/checkpoint.safetensors.")
    var resume = false

    @Option(help: "Recurrent cell: lstm, gru or rnn.")
    var cell: CellKind = .lstm

    @Option(help: "Word embedding width (also the projected image width).")
    var embeddingSize = 512

    @Option(help: "Recurrent state width.")
    var hiddenSize = 512

    @Option(help: "Drop probability on inputs and outputs of the cell.")
    var dropout: Float = 0.5

    @Option(help: ArgumentHelp("How pool5's 49 cells form the image vector: mean, max or mean+max.", valueName: "pooling"))
    var pooling: ImageFeatureSpec.Pooling = .meanMax

    @Option(help: "Words seen fewer times than this in training captions become <unk>.")
    var minCount = 5

    @Option(help: "Passes over the training captions. ")
    var epochs = defaults.epochs

    @Option(help: "Captions per minibatch.")
    var batchSize = defaults.batchSize

    @Option(help: "Optimizer: adam or rmsprop.")
    var optimizer = defaults.optimizer

    @Option(help: "Learning rate. (1e-3 reached a lower dev perplexity than 4e-4 in the same time on Flickr8k.)")
    var learningRate = defaults.learningRate

    @Option(help: "Multiply the learning rate by this every --decay-every epochs.")
    var learningRateDecay = defaults.learningRateDecay

    @Option(help: "Epochs between learning-rate decays.")
    var decayEvery = defaults.decayEvery

    @Option(help: "Clip the gradients' global norm to this.")
    var clipNorm = defaults.clipNorm

    @Option(help: "Training captions are cut to this many words.")
    var maxLength = defaults.maxLength

    @Option(help: "Iterations between checkpoints.")
    var checkpointEvery = defaults.checkpointEvery

    @Option(help: "Beam width for the per-epoch dev captions.")
    var beamSize = defaults.evaluationBeamSize

    @Option(help: "Seed for initialization, shuffling and dropout: the same seed repeats the run.")
    var seed = defaults.seed

    @Flag(help: "Train a language model on the captions alone, with no image.")
    var textOnly = false

    @Flag(help: "With --text-only: model characters instead of words.")
    var chars = false

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        if chars && !textOnly { throw ValidationError("--chars needs --text-only (captions are made of words)") }
        guard epochs >= 1, batchSize >= 1, embeddingSize >= 1, hiddenSize >= 1, maxLength >= 1, checkpointEvery >= 1 else {
            throw ValidationError("--epochs, --batch-size, --embedding-size, --hidden-size, --max-length and --checkpoint-every must be positive")
        }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        guard learningRate > 0, clipNorm > 0 else { throw ValidationError("--learning-rate and --clip-norm must be positive") }
        guard (1...20).contains(beamSize) else { throw ValidationError("--beam-size must be 1…20, got \(beamSize)") }
    }

    func run() throws {
        let tokenizer = Tokenizer(mode: chars ? .characters : .words)
        let trainData = try dataset.load(split: split)
        let devData = try dataset.load(split: devSplit)
        let vocabulary = Vocabulary(counting: trainData.tokenizedCaptions(with: tokenizer), minimumCount: minCount)

        var trainFeatures: [EncoderFeatures]?, devFeatures: [EncoderFeatures]?
        if !textOnly {
            trainFeatures = try imageOptions.cachedFeatures(dataset.cache).features(of: trainData, datasetName: dataset.data, label: "train", quiet: quiet)
            devFeatures = try imageOptions.cachedFeatures(dataset.cache).features(of: devData, datasetName: dataset.data, label: "dev", quiet: quiet)
        }
        let maxLength = chars ? self.maxLength * 8 : self.maxLength
        let train = CaptionTrainingSet(trainData, vocabulary: vocabulary, tokenizer: tokenizer, maxLength: maxLength,
                                       features: trainFeatures, pooling: pooling)
        let dev = CaptionTrainingSet(devData, vocabulary: vocabulary, tokenizer: tokenizer, maxLength: maxLength,
                                     features: devFeatures, pooling: pooling)
        let features = textOnly ? nil : ImageFeatureSpec.fitted(pooling, to: train.pooledVectors)
        let config = CaptionModel.Config(vocabularySize: vocabulary.count, embeddingSize: embeddingSize,
                                         hiddenSize: hiddenSize, cell: cell, dropout: dropout,
                                         featureSize: ImageFeatureSpec.size(of: pooling), textOnly: textOnly)
        var options = CaptionTrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.learningRateDecay = learningRateDecay
        options.decayEvery = decayEvery
        options.optimizer = optimizer
        options.clipNorm = clipNorm
        options.maxLength = maxLength
        options.checkpointEvery = checkpointEvery
        options.evaluationBeamSize = beamSize
        options.seed = seed

        let trainer: CaptionTrainer
        do {
            trainer = try CaptionTrainer(config: config, options: options, train: train, dev: dev, vocabulary: vocabulary,
                                         tokenizer: tokenizer, features: features,
                                         outputDirectory: URL(fileURLWithPath: out), resume: resume)
        } catch {
            throw CaptionError.input(out, "\(error)")
        }
        trainer.info["command"] = (["caption"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        trainer.info["train_images"] = "\(train.images.count)"
        emit("training \(cell.rawValue) \(embeddingSize)/\(hiddenSize) on \(train.images.count) images, "
              + "\(train.pairs.count) captions; vocabulary \(vocabulary.count) words; "
              + "\(trainer.iterationsPerEpoch) iterations an epoch")
        let progress = ProgressBar(total: trainer.iterationsPerEpoch * epochs, unit: "it", quiet: quiet)
        progress.advance(by: trainer.completedIterations)
        let started = Date()
        try trainer.run(progress: { iteration, loss in
            progress.advance(by: iteration - progress.done, note: String(format: "loss %.3f", loss))
        }, report: { report in
            progress.finish()
            emit(report)
        })
        progress.finish()
        emit("done in \(ProgressBar.duration(Date().timeIntervalSince(started))); best model: \(trainer.modelURL.path)")
    }
}

extension CellKind: ExpressibleByArgument {}
extension ImageFeatureSpec.Pooling: ExpressibleByArgument {}
extension CaptionTrainingOptions.OptimizerKind: ExpressibleByArgument {}
