import Application
import Text
import ArgumentParser
import Captioning
import Datasets
import Learning

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

    @OptionGroup var training: TrainingOptions

    @Option(help: ArgumentHelp("show-tell reads the image once, before the words; attention looks at pool5's 49 regions again at every word (Show, Attend and Tell; LSTM only).", valueName: "decoder"))
    var decoder: CaptionModel.DecoderKind = .showTell
    @Option(help: "With --decoder attention: weight λ of the penalty λ Σ_i (1 − Σ_t α_ti)² that asks every region to be looked at about once.")
    var attentionPenalty: Float = 1
    @Option(help: "Recurrent cell: lstm, gru or rnn.") var cell: CellKind = .lstm
    @Option(help: "Word embedding width (also the projected image width).") var embeddingSize = 512
    @Option(help: "Recurrent state width.") var hiddenSize = 512
    @Option(help: "Drop probability on inputs and outputs of the cell.") var dropout: Float = 0.5
    @Option(help: ArgumentHelp("How pool5's 49 cells form the image vector: mean, max or mean+max (default) for show-tell; regions (each cell, the default and only choice) for attention.", valueName: "pooling"))
    var pooling: ImageFeatureSpec.Pooling?
    @Option(help: "Optimizer: adam or rmsprop.") var optimizer = defaults.optimizer
    @Option(help: "Training captions are cut to this many words.") var maxLength = defaults.maxLength
    @Option(help: "Beam width for the per-epoch dev captions.") var beamSize = defaults.evaluationBeamSize
    @Flag(help: "Train a language model on the captions alone, with no image.") var textOnly = false
    @Flag(help: "With --text-only: model characters instead of words.") var chars = false

    func validate() throws {
        if chars && !textOnly { throw ValidationError("--chars needs --text-only (captions are made of words)") }
        guard (1...8192).contains(embeddingSize), (1...8192).contains(hiddenSize) else { throw ValidationError("--embedding-size and --hidden-size must be in 1…8192") }
        guard (1...200).contains(maxLength) else { throw ValidationError("--max-length: must be in 1…200, got \(maxLength)") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout: must be in [0, 1), got \(dropout)") }
        guard DecodingPolicy.Limits.beamSize.contains(beamSize) else { throw ValidationError("--beam-size: must be in 1…20, got \(beamSize)") }
        if decoder == .attention, textOnly || cell != .lstm || (pooling ?? .regions) != .regions {
            throw ValidationError("--decoder attention: an LSTM looking at every region; leave out --text-only, --cell and --pooling")
        }
        if decoder == .showTell && pooling == .regions { throw ValidationError("--pooling regions: needs --decoder attention") }
        guard (0...100).contains(attentionPenalty) else { throw ValidationError("--attention-penalty: must be in 0…100, got \(attentionPenalty)") }
    }

    func run() throws {
        let tokenizer = Tokenizer(mode: chars ? .characters : .words)
        let (trainData, devData) = try training.splits()
        let vocabulary = Vocabulary(counting: trainData.tokenizedCaptions(with: tokenizer), minimumCount: training.minCount)
        let pooling = pooling ?? (decoder == .attention ? .regions : .meanMax)
        let features = textOnly ? nil : try training.features(train: trainData, dev: devData)
        let maxLength = chars ? self.maxLength * 8 : self.maxLength
        let train = CaptionTrainingSet(trainData, vocabulary: vocabulary, tokenizer: tokenizer, maxLength: maxLength,
                                       features: features?.train, pooling: pooling)
        let dev = CaptionTrainingSet(devData, vocabulary: vocabulary, tokenizer: tokenizer, maxLength: maxLength,
                                     features: features?.dev, pooling: pooling)
        let spec = textOnly ? nil : ImageFeatureSpec.fitted(pooling, to: train.pooledVectors)
        let config = CaptionModel.Config(vocabularySize: vocabulary.count, embeddingSize: embeddingSize,
                                         hiddenSize: hiddenSize, cell: cell, dropout: dropout,
                                         featureSize: ImageFeatureSpec.statisticsSize(of: pooling), textOnly: textOnly,
                                         decoder: decoder, attentionPenalty: attentionPenalty)
        var options = CaptionTrainingOptions()
        options.schedule = training.schedule(.captioner)
        options.optimizer = optimizer
        options.maxLength = maxLength
        options.evaluationBeamSize = beamSize
        let (trainer, out) = try training.trainer(defaultOut: "runs/captioner") { out in
            try CaptionTrainer(config: config, options: options, train: train, dev: dev, vocabulary: vocabulary,
                           tokenizer: tokenizer, features: spec,
                           outputDirectory: out, resume: training.resume)
        }
        trainer.info["train_images"] = "\(train.images.count)"
        emit("training \(decoder == .attention ? "attention " : "")\(cell.rawValue) \(embeddingSize)/\(hiddenSize) on \(train.images.count) images, "
              + "\(train.pairs.count) captions; vocabulary \(vocabulary.count) words; "
              + "\(trainer.iterationsPerEpoch) iterations an epoch")
        try training.run(iterations: trainer.iterationsPerEpoch * options.schedule.epochs, completed: trainer.completedIterations,
                         modelURL: trainer.modelURL, outputFolder: out) { progress, report in
            try trainer.run(progress: progress, report: report)
        }
    }
}

extension CellKind: ExpressibleByArgument {}
extension CaptionModel.DecoderKind: ExpressibleByArgument {}
extension ImageFeatureSpec.Pooling: ExpressibleByArgument {}
extension CaptionTrainingOptions.OptimizerKind: ExpressibleByArgument {}
