import Application
import Text
import ArgumentParser
import Captioning
import Datasets
import Learning

/// `caption train captioner`: the Show-and-Tell decoder on cached VGG16 features.
struct TrainCaptionerCommand: ParsableCommand {
    private static let (defaults, selfCritical) = (CaptionTrainingOptions(), TrainingSchedule.selfCritical)

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
        writes text from it. With --self-critical --from RUN, RUN's captioner learns from its own \
        samples, rewarded by their CIDEr-D; the start is scored first and kept unless an epoch beats it.

        Examples:
          caption train captioner --data ../shared/datasets/flickr8k --out runs/flickr8k
          caption train captioner --data dataset_coco.json --split train,restval --dev-split val
          caption train captioner --data ../shared/datasets/flickr8k --text-only --chars --out runs/chars
          caption train captioner --data ../shared/datasets/flickr8k --decoder attention --region-grid 14 --out runs/att14
          caption train captioner --data ../shared/datasets/flickr8k --self-critical --from runs/flickr8k --out runs/scst
        """)

    @OptionGroup var training: TrainingOptions

    @Option(help: ArgumentHelp("show-tell reads the image once, before the words; attention looks at the image's regions again at every word (Show, Attend and Tell; LSTM only).", valueName: "decoder"))
    var decoder: CaptionModel.DecoderKind = .showTell
    @Option(help: "With --decoder attention: weight λ of the penalty λ Σ_i (1 − Σ_t α_ti)² that asks every region to be looked at about once (with --region-grid 14, 0.1 scored better on Flickr8k dev).")
    var attentionPenalty: Float = 1
    @Option(help: ArgumentHelp("With --decoder attention: the regions looked at, 7 (pool5's 7 × 7 cells, the default) or 14 (conv5_3's 14 × 14, about twice the time an epoch).", valueName: "n"))
    var regionGrid: Int?
    @Option(help: "Recurrent cell: lstm, gru or rnn.") var cell: CellKind = .lstm
    @Option(help: "Word embedding width (also the projected image width).") var embeddingSize = 512
    @Option(help: "Recurrent state width.") var hiddenSize = 512
    @Option(help: "Drop probability on inputs and outputs of the cell.") var dropout: Float = 0.5
    @Option(help: ArgumentHelp("With --decoder show-tell: how pool5's 49 cells form the image vector: mean, max or mean+max (the default).", valueName: "pooling"))
    var pooling: ImageFeatureSpec.Pooling?
    @Option(help: "Optimizer: adam or rmsprop.") var optimizer = defaults.optimizer
    @Option(help: "Training captions are cut to this many words.") var maxLength = defaults.maxLength
    @Option(help: "Beam width for the per-epoch dev captions.") var beamSize = defaults.evaluationBeamSize
    @Flag(help: "Train a language model on the captions alone, with no image.") var textOnly = false
    @Flag(help: "With --text-only: model characters instead of words.") var chars = false
    @Flag(help: "Fine-tune the captioner of --from on its own sampled captions, rewarded by their CIDEr-D (self-critical training); the model's settings come from it. Schedule defaults: \(Self.selfCritical.epochs) epochs of \(Self.selfCritical.batchSize) images, learning rate \(Self.selfCritical.learningRate).") var selfCritical = false
    @Option(help: ArgumentHelp("With --self-critical: the run folder (or model file) to start from.", valueName: "run")) var from: String?
    @Option(help: ArgumentHelp("With --self-critical: compare each sample's reward with the greedy caption's, or with the mean of the image's other samples (default).", valueName: "baseline")) var baseline: SelfCriticalOptions.Baseline?
    @Option(help: ArgumentHelp("With --self-critical: captions sampled per image (default: 5).", valueName: "k")) var samples: Int?

    func validate() throws {
        if chars && !textOnly { throw ValidationError("--chars needs --text-only (captions are made of words)") }
        guard (1...8192).contains(embeddingSize), (1...8192).contains(hiddenSize) else { throw ValidationError("--embedding-size and --hidden-size must be in 1…8192") }
        guard (1...200).contains(maxLength) else { throw ValidationError("--max-length: must be in 1…200, got \(maxLength)") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout: must be in [0, 1), got \(dropout)") }
        guard DecodingPolicy.Limits.beamSize.contains(beamSize) else { throw ValidationError("--beam-size: must be in 1…20, got \(beamSize)") }
        if decoder == .attention, textOnly || cell != .lstm || pooling != nil {
            throw ValidationError("--decoder attention: an LSTM looking at every region; leave out --text-only, --cell and --pooling")
        }
        if decoder == .showTell, pooling?.regionCount != nil { throw ValidationError("--pooling \(pooling!.rawValue): needs --decoder attention") }
        if let regionGrid {
            guard decoder == .attention else { throw ValidationError("--region-grid: needs --decoder attention") }
            guard [7, 14].contains(regionGrid) else { throw ValidationError("--region-grid: must be 7 or 14, got \(regionGrid)") }
        }
        guard (0...100).contains(attentionPenalty) else { throw ValidationError("--attention-penalty: must be in 0…100, got \(attentionPenalty)") }
        if selfCritical != (from != nil) { throw ValidationError("--self-critical and --from go together: --self-critical --from RUN") }
        if !selfCritical && (baseline != nil || samples != nil) { throw ValidationError("--baseline and --samples need --self-critical") }
        if selfCritical && textOnly { throw ValidationError("--self-critical: rewards captions of images; leave out --text-only") }
        if let samples, !(1...64).contains(samples) || (samples == 1 && baseline != .greedy) {
            throw ValidationError("--samples: must be in 1…64 (2 or more unless --baseline greedy), got \(samples)")
        }
    }

    func run() throws {
        if let from { return try fineTune(from: from) }
        let tokenizer = Tokenizer(mode: chars ? .characters : .words)
        let (trainData, devData) = try training.splits()
        let vocabulary = Vocabulary(counting: trainData.tokenizedCaptions(with: tokenizer), minimumCount: training.minCount)
        let pooling = decoder == .attention ? (regionGrid == 14 ? .conv5Regions : .regions) : pooling ?? .meanMax
        let features = textOnly ? nil : try training.features(train: trainData, dev: devData, regionGrid: pooling == .conv5Regions ? 14 : 7)
        let maxLength = chars ? self.maxLength * 8 : self.maxLength
        let train = CaptionTrainingSet(trainData, vocabulary: vocabulary, tokenizer: tokenizer, maxLength: maxLength,
                                       features: features?.train, pooling: pooling)
        let dev = CaptionTrainingSet(devData, vocabulary: vocabulary, tokenizer: tokenizer, maxLength: maxLength,
                                     features: features?.dev, pooling: pooling)
        let spec = textOnly ? nil : ImageFeatureSpec.fitted(pooling, to: train.pooledVectors)
        let config = CaptionModel.Config(vocabularySize: vocabulary.count, embeddingSize: embeddingSize,
                                         hiddenSize: hiddenSize, cell: cell, dropout: dropout,
                                         featureSize: ImageFeatureSpec.statisticsSize(of: pooling), textOnly: textOnly,
                                         decoder: decoder, regionCount: pooling.regionCount ?? 49, attentionPenalty: attentionPenalty)
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
        try training.run(trainer, outputFolder: out)
    }
}

extension TrainCaptionerCommand {
    /// `--self-critical --from RUN`: the run's model, vocabulary and features, fine-tuned.
    private func fineTune(from: String) throws {
        let start = try ModelFiles.captioner(from)
        do { try SelfCriticalTrainer.check(start) } catch { throw CaptionError.wrapping(error, subject: from) }
        let (trainData, devData) = try training.splits()
        let features = try training.features(train: trainData, dev: devData, regionGrid: start.features?.needsConv5 == true ? 14 : 7)
        let train = CaptionTrainingSet(trainData, for: start, maxLength: maxLength, features: features.train)
        let dev = CaptionTrainingSet(devData, for: start, maxLength: maxLength, features: features.dev)
        var options = SelfCriticalOptions()
        options.schedule = training.schedule(.selfCritical)
        options.baseline = baseline ?? options.baseline
        options.samples = samples ?? options.samples
        options.maxLength = maxLength + 4
        options.evaluationBeamSize = beamSize
        let (trainer, out) = try training.trainer(defaultOut: "runs/self-critical") { out in
            try SelfCriticalTrainer(start: start, options: options, train: train, dev: dev, outputDirectory: out, resume: training.resume)
        }
        emit("self-critical training from \(from) on \(train.images.count) images: \(options.samples) samples an image, "
             + "baseline \(options.baseline.rawValue); \(trainer.iterationsPerEpoch) iterations an epoch")
        try training.run(trainer, outputFolder: out)
    }
}

extension CellKind: ExpressibleByArgument {}
extension SelfCriticalOptions.Baseline: ExpressibleByArgument {}
extension CaptionModel.DecoderKind: ExpressibleByArgument {}
extension ImageFeatureSpec.Pooling: ExpressibleByArgument {}
extension CaptionTrainingOptions.OptimizerKind: ExpressibleByArgument {}
