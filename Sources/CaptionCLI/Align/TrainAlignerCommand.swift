import Application
import Text
import Alignment
import ArgumentParser
import Captioning
import Foundation
import Tensors
import Datasets
import Formats
import Learning
import Support

/// `caption train aligner`: the image–sentence alignment model (BRNN over words, linear map of
/// pool5 regions, ranking loss) on cached VGG16 features.
struct TrainAlignerCommand: ParsableCommand {
    private static let defaults = AlignmentTrainingOptions()
    private static let model = AlignmentConfig(vocabularySize: 1, featureSize: 1)

    static let configuration = CommandConfiguration(
        commandName: "aligner",
        abstract: "Train the image–sentence aligner (Karpathy & Fei-Fei 2015, §3.1) on a dataset.",
        discussion: """
        Each image is 50 regions (pool5's 7 × 7 cells and the whole image) mapped into an \
        h-dimensional space; each sentence is a bidirectional RNN's word vectors in the same \
        space; a pair scores S = Σ over words of the best region's dot product. Minibatches hold \
        pairs of distinct images, and each pair must outscore the batch's other pairs by a \
        margin, both ways. Features come from the feature cache (--cache); images not in it are \
        encoded first.

        After every epoch the whole dev split is ranked both ways (every image against every \
        sentence) and R@1/5/10 and the median rank are printed; the best epoch by mean recall is \
        kept in OUT/model.safetensors with the vocabulary and settings inside. A checkpoint is \
        written every --checkpoint-every iterations: rerun with --resume after a crash or Ctrl-C.

        Examples:
          caption train aligner --data ../shared/datasets/flickr8k --out runs/aligner
          caption train aligner --data ../shared/datasets/flickr8k --init-embeddings weights/captioner.safetensors
        """)

    @OptionGroup var dataset: DatasetOptions

    @Option(help: ArgumentHelp("Training split: a split file, or names (train; train,restval for Karpathy COCO).", valueName: "split"))
    var split = "train"

    @Option(help: ArgumentHelp("Split ranked after every epoch to choose the best one.", valueName: "split"))
    var devSplit = "dev"

    @Option(help: ArgumentHelp("Output folder for model.safetensors and checkpoint.safetensors.", valueName: "dir"))
    var out = "runs/aligner"

    @Flag(help: "Continue from OUT/checkpoint.safetensors.")
    var resume = false

    @Option(help: ArgumentHelp("Width h of the space regions and words are mapped into (units).", valueName: "n"))
    var hiddenSize = model.hiddenSize

    @Option(help: ArgumentHelp("Word vector width E (units); taken from the captioner with --init-embeddings.", valueName: "n"))
    var wordSize = model.wordSize

    @Option(help: ArgumentHelp("Start the word vectors from this captioner's embedding (file or training folder); its vocabulary must equal the one built here.", valueName: "model"))
    var initEmbeddings: String?

    @Option(help: ArgumentHelp("Words seen fewer times than this in training captions become <unk> (count).", valueName: "n"))
    var minCount = 5

    @Option(help: ArgumentHelp("Passes over the training sentences.", valueName: "n"))
    var epochs = defaults.epochs

    @Option(help: ArgumentHelp("(image, sentence) pairs per minibatch, all of distinct images.", valueName: "n"))
    var batchSize = defaults.batchSize

    @Option(help: ArgumentHelp("Adam step size.", valueName: "rate"))
    var learningRate = defaults.learningRate

    @Option(help: ArgumentHelp("Multiply the learning rate by this every --decay-every epochs (factor).", valueName: "factor"))
    var learningRateDecay = defaults.learningRateDecay

    @Option(help: ArgumentHelp("Epochs between learning-rate decays.", valueName: "n"))
    var decayEvery = defaults.decayEvery

    @Option(help: ArgumentHelp("Clip the global norm of the per-pair gradient to this.", valueName: "norm"))
    var clipNorm = defaults.clipNorm

    @Option(help: ArgumentHelp("Margin Δ a true pair must win by (score units).", valueName: "Δ"))
    var margin = model.margin

    @Option(help: ArgumentHelp("λ of the λ‖θ‖² penalty on weight matrices and word vectors (per batch sum).", valueName: "λ"))
    var regularization = model.regularization

    @Option(help: ArgumentHelp("Iterations between checkpoints.", valueName: "n"))
    var checkpointEvery = defaults.checkpointEvery

    @Option(help: ArgumentHelp("Seed for initialization and batches: the same seed repeats the run.", valueName: "n"))
    var seed = defaults.seed

    @Flag(help: "Store the best model's parameters as float16 (half the file size).")
    var float16 = false

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        guard epochs >= 1, batchSize >= 2, hiddenSize >= 1, wordSize >= 1, minCount >= 1, checkpointEvery >= 1, decayEvery >= 1 else {
            throw ValidationError("--epochs, --hidden-size, --word-size, --min-count, --checkpoint-every and --decay-every must be positive, --batch-size at least 2")
        }
        guard learningRate > 0, clipNorm > 0, margin > 0 else {
            throw ValidationError("--learning-rate, --clip-norm and --margin must be positive")
        }
        guard regularization >= 0, learningRateDecay > 0, learningRateDecay <= 1 else {
            throw ValidationError("--regularization must be ≥ 0 and --learning-rate-decay in (0, 1]")
        }
    }

    func run() throws {
        let tokenizer = Tokenizer()
        let trainData = try dataset.load(split: split)
        let devData = try dataset.load(split: devSplit)
        let vocabulary = Vocabulary(counting: trainData.tokenizedCaptions(with: tokenizer), minimumCount: minCount)
        let embedding = try initEmbeddings.map { try captionerEmbedding($0, vocabulary: vocabulary) }

        let trainFeatures = try imageOptions.cachedFeatures(dataset.cache).features(of: trainData, datasetName: dataset.data, label: "train", quiet: quiet)
        let devFeatures = try imageOptions.cachedFeatures(dataset.cache).features(of: devData, datasetName: dataset.data, label: "dev", quiet: quiet)
        let train = AlignmentTrainingSet(trainData, vocabulary: vocabulary, tokenizer: tokenizer, features: trainFeatures)
        let dev = AlignmentTrainingSet(devData, vocabulary: vocabulary, tokenizer: tokenizer, features: devFeatures)

        let config = AlignmentConfig(vocabularySize: vocabulary.count, featureSize: FeatureCache.vectorCount,
                                     wordSize: embedding?.shape[1] ?? wordSize, hiddenSize: hiddenSize,
                                     margin: margin, regularization: regularization)
        var options = AlignmentTrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.learningRateDecay = learningRateDecay
        options.decayEvery = decayEvery
        options.clipNorm = clipNorm
        options.checkpointEvery = checkpointEvery
        options.seed = seed
        options.modelDType = float16 ? .f16 : .f32

        let trainer: AlignmentTrainer
        do {
            trainer = try AlignmentTrainer(config: config, options: options, train: train, dev: dev, vocabulary: vocabulary,
                                           tokenizer: tokenizer, wordEmbedding: embedding,
                                           outputDirectory: URL(fileURLWithPath: out), resume: resume)
        } catch {
            throw CaptionError.input(out, "\(error)")
        }
        trainer.info["command"] = (["caption"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        trainer.info["train_images"] = "\(train.images.count)"
        trainer.info["train_sentences"] = "\(train.sentences.count)"
        emit("training aligner h=\(hiddenSize) E=\(config.wordSize) on \(train.images.count) images, "
              + "\(train.sentences.count) sentences; vocabulary \(vocabulary.count) words; "
              + "dev \(dev.images.count) images × \(dev.sentences.count) sentences; "
              + "\(trainer.totalIterations / epochs) iterations an epoch")
        let progress = ProgressBar(total: trainer.totalIterations, unit: "it", quiet: quiet)
        progress.advance(by: trainer.completedIterations)
        let started = Date()
        do {
            try trainer.run(progress: { iteration, loss in
                progress.advance(by: iteration - progress.done, note: String(format: "loss %.3f", loss))
            }, report: { report in
                progress.finish()
                emit("\(report)")
            })
        } catch {
            progress.finish()
            throw CaptionError.input(out, "\(error)")
        }
        progress.finish()
        emit("done in \(ProgressBar.duration(Date().timeIntervalSince(started))); best model: \(trainer.modelURL.path)")
    }

    /// Writes a line to stdout at once (not buffered), so a log of a run in the background
    /// shows every epoch as it ends.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The captioner's word embedding `[V, E]`, if its vocabulary is exactly `vocabulary`.
    private func captionerEmbedding(_ path: String, vocabulary: Vocabulary) throws -> Tensor {
        let file = try ModelFiles.captioner(path)
        guard file.vocabulary == vocabulary else {
            throw CaptionError.input(path, "the captioner's vocabulary (\(file.vocabulary.count) words) differs from the one built from "
                        + "--split \(split) with --min-count \(minCount) (\(vocabulary.count) words); train both on the same captions")
        }
        guard let embedding = file.model.parameters[CaptionModel.embedName] else {
            throw CaptionError.input(path, "the captioner has no '\(CaptionModel.embedName)' tensor")
        }
        return embedding
    }
}
