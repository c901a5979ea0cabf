import Application
import Text
import Alignment
import ArgumentParser
import Captioning
import Foundation
import Tensors
import Datasets
import Encoder
import Formats
import Learning
import Support

/// `caption train aligner`: the image–sentence alignment model (BRNN over words, linear map of
/// pool5 regions, ranking loss) on cached VGG16 features.
struct TrainAlignerCommand: ParsableCommand {
    private static let model = AlignmentConfig(vocabularySize: 1, featureSize: 1)

    static let configuration = CommandConfiguration(
        commandName: "aligner",
        abstract: "Train the image–sentence aligner (Karpathy & Fei-Fei 2015, §3.1) on a dataset.",
        discussion: """
        Each image is 50 regions (pool5's 7 × 7 cells and the whole image; 197 with \
        --region-grid 14, conv5_3's cells) mapped into an h-dimensional space; each sentence is \
        a bidirectional network's word vectors in the same space (--sentence-encoder); a pair \
        scores S = Σ over words of the best region's dot product (a cosine with --normalize). \
        Minibatches hold pairs of distinct images, and each pair must outscore the batch's other \
        pairs by a margin, both ways: all of them (the paper's sum of hinges), or from \
        --hard-negatives-from on only the hardest one (VSE++'s max of hinges). Features come \
        from the feature cache (--cache); images not in it are encoded first.

        After every epoch the whole dev split is ranked both ways (every image against every \
        sentence) and R@1/5/10 and the median rank are printed; the best epoch by mean recall is \
        kept in OUT/model.safetensors with the vocabulary and settings inside. A checkpoint is \
        written every --checkpoint-every iterations: rerun with --resume after a crash or Ctrl-C.

        Examples:
          caption train aligner --data ../shared/datasets/flickr8k --out runs/aligner
          caption train aligner --data ../shared/datasets/flickr8k --init-embeddings weights/captioner.safetensors
        """)

    @OptionGroup var training: TrainingOptions

    @Option(help: ArgumentHelp("Width h of the space regions and words are mapped into (units).", valueName: "n"))
    var hiddenSize = model.hiddenSize

    @Option(help: ArgumentHelp("Word vector width E (units); taken from the captioner with --init-embeddings.", valueName: "n"))
    var wordSize = model.wordSize

    @Option(help: ArgumentHelp("Start the word vectors from this captioner's embedding (file or training folder); its vocabulary must equal the one built here.", valueName: "model"))
    var initEmbeddings: String?

    @Option(help: ArgumentHelp("Margin Δ a true pair must win by (score units).", valueName: "Δ"))
    var margin = model.margin

    @Option(help: ArgumentHelp("λ of the λ‖θ‖² penalty on weight matrices and word vectors (per batch sum).", valueName: "λ"))
    var regularization = model.regularization

    @Option(help: ArgumentHelp("Sentence network: brnn (the paper's ReLU RNN), gru or lstm, each bidirectional.", valueName: "kind"))
    var sentenceEncoder: SentenceEncoderKind = model.sentenceEncoder

    @Option(help: ArgumentHelp("Region cells a side: 7 (pool5, 49 cells) or 14 (conv5_3, 196 cells; the cache must be CAPFEAT3).", valueName: "n"))
    var regionGrid = model.regionGrid

    @Flag(help: "L2-normalize region and word vectors, so each word–region product is a cosine (take --margin near 0.2 per word).")
    var normalize = false

    @Option(help: ArgumentHelp("From this epoch on (1-based), rank each pair against its hardest negatives only (VSE++ max of hinges); before it, against all (default: never).", valueName: "epoch"))
    var hardNegativesFrom: Int?

    @Flag(help: "Store the best model's parameters as float16 (half the file size).")
    var float16 = false

    func validate() throws {
        if let batchSize = training.batchSize, batchSize < 2 {
            throw ValidationError("--batch-size: must be at least 2 (each pair's negatives are the batch's other pairs), got \(batchSize)")
        }
        guard (1...8192).contains(hiddenSize), (1...8192).contains(wordSize) else {
            throw ValidationError("--hidden-size and --word-size must be in 1…8192")
        }
        guard (1e-3...1e3).contains(margin) else { throw ValidationError("--margin: must be in 0.001…1000, got \(margin)") }
        guard (0...100).contains(regularization) else { throw ValidationError("--regularization: must be in 0…100, got \(regularization)") }
        guard ImageRegions.grids.contains(regionGrid) else { throw ValidationError("--region-grid: must be 7 or 14, got \(regionGrid)") }
        if let epoch = hardNegativesFrom, !(1...10_000).contains(epoch) {
            throw ValidationError("--hard-negatives-from: must be an epoch from 1, got \(epoch)")
        }
    }

    func run() throws {
        let tokenizer = Tokenizer()
        let (trainData, devData) = try training.splits()
        let vocabulary = Vocabulary(counting: trainData.tokenizedCaptions(with: tokenizer), minimumCount: training.minCount)
        let embedding = try initEmbeddings.map { try captionerEmbedding($0, vocabulary: vocabulary) }
        let features = try training.features(train: trainData, dev: devData, regionGrid: regionGrid)
        let train = AlignmentTrainingSet(trainData, vocabulary: vocabulary, tokenizer: tokenizer, features: features.train,
                                         regionGrid: regionGrid)
        let dev = AlignmentTrainingSet(devData, vocabulary: vocabulary, tokenizer: tokenizer, features: features.dev,
                                       regionGrid: regionGrid)

        let config = AlignmentConfig(vocabularySize: vocabulary.count, featureSize: FeatureCache.vectorCount,
                                     wordSize: embedding?.shape[1] ?? wordSize, hiddenSize: hiddenSize,
                                     margin: margin, regularization: regularization, sentenceEncoder: sentenceEncoder,
                                     normalizesEmbeddings: normalize, regionGrid: regionGrid)
        var options = AlignmentTrainingOptions()
        options.schedule = training.schedule(.aligner)
        options.modelDType = float16 ? .f16 : .f32
        options.hardNegativesFrom = hardNegativesFrom.map { $0 - 1 }
        let (trainer, out) = try training.trainer(defaultOut: "runs/aligner") { out in
            try AlignmentTrainer(config: config, options: options, train: train, dev: dev, vocabulary: vocabulary,
                             tokenizer: tokenizer, wordEmbedding: embedding,
                             outputDirectory: out, resume: training.resume)
        }
        trainer.info["train_images"] = "\(train.images.count)"
        trainer.info["train_sentences"] = "\(train.sentences.count)"
        let perEpoch = trainer.totalIterations / options.schedule.epochs
        emit("training aligner (\(sentenceEncoder.rawValue), \(regionGrid)×\(regionGrid) regions\(normalize ? ", normalized" : "")"
              + (hardNegativesFrom.map { ", hardest negatives from epoch \($0)" } ?? "") + ") h=\(hiddenSize) E=\(config.wordSize) on \(train.images.count) images, \(train.sentences.count) "
              + "sentences; vocabulary \(vocabulary.count) words; dev \(dev.images.count) images × \(dev.sentences.count) "
              + "sentences; \(perEpoch) iterations an epoch")
        try training.run(trainer, outputFolder: out)
    }

    /// The captioner's word embedding `[V, E]`, if its vocabulary is exactly `vocabulary`.
    private func captionerEmbedding(_ path: String, vocabulary: Vocabulary) throws -> Tensor {
        try ModelFiles.captionerEmbedding(path, vocabulary: vocabulary,
                                          built: "--split \(training.split) with --min-count \(training.minCount)")
    }
}
extension SentenceEncoderKind: ExpressibleByArgument {}
