import Application
import Text
import ArgumentParser
import Evaluation
import Datasets
import Support

/// `caption evaluate …`: quality figures on a dataset split.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model on a dataset split.",
        subcommands: [EvaluateCaptionsCommand.self, EvaluateAlignmentCommand.self])
}

/// `caption evaluate captions`: BLEU-1..4, ROUGE-L and CIDEr-D against the split's references.
struct EvaluateCaptionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "captions",
        abstract: "BLEU-1..4, ROUGE-L and CIDEr-D of captions on a dataset split.",
        discussion: """
        Captions the split's images with the model (features from the cache), or reads \
        captions from --results (JSONL lines with "image" and "caption", as `caption --json` \
        writes them), then scores them against the split's reference captions, tokenized the \
        NeuralTalk way (lowercase, punctuation stripped). The metrics match pycocoevalcap's.

        Example:
          caption evaluate captions --data ../shared/datasets/flickr8k --split dev
        """)

    @OptionGroup var dataset: DatasetOptions

    @Option(help: ArgumentHelp("The split to score: a split file, or a name such as dev.", valueName: "split"))
    var split = "dev"

    @Option(help: ArgumentHelp("Score these captions (JSONL) instead of captioning with a model.", valueName: "file"))
    var results: String?

    @OptionGroup var captioner: CaptionerOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let data = try dataset.load(split: split)
        let tokenizer = Tokenizer()
        let candidates = try results.map { try CaptionResults.read($0).mapValues { tokenizer.tokens($0) } } ?? captionSplit(data)
        var corpus: [CaptionCorpus.Image] = []
        for image in data.images {
            let references = image.captions.map { tokenizer.tokens($0) }
            guard let candidate = candidates[image.path] ?? candidates[image.fileName] else {
                throw CaptionError.input(results ?? dataset.data, "no caption for \(image.path)")
            }
            corpus.append(CaptionCorpus.Image(id: image.path, candidate: candidate, references: references))
        }
        let scored = try CaptionCorpus(corpus), scores = CaptionMetrics.score(scored)
        if output.json {
            emit(JSON.object([("images", .int(corpus.count)), ("distinct_captions", .int(scored.distinctCandidates)),
                              ("words_used", .int(scored.candidateVocabulary)), ("dangling_endings", .int(scored.danglingCandidates))]
                             + scores.entries.map { ($0.name, .double($0.points)) }).text)
        } else {
            emit("\(corpus.count) images, \(data.captionCount) reference captions; the captions: "
                 + "\(scored.distinctCandidates) distinct, \(scored.candidateVocabulary) words used, \(scored.danglingCandidates) ending on \"a\", \"with\"…")
            emit(scores)
        }
    }

    /// The pipeline's caption for every image of the split, as tokens, keyed by image path:
    /// the same decoding and re-ranking as `caption IMAGE`, on the cached features.
    private func captionSplit(_ data: CaptionDataset) throws -> [String: [String]] {
        let pipeline = try captioner.pipeline()
        let cache = try captioner.image.cachedFeatures(dataset.cache)
        try cache.checkRegions(for: pipeline)
        let features = try cache.features(of: data, datasetName: dataset.data, label: split, quiet: output.quiet,
                                          regionGrid: pipeline.regionGrid)
        let records = pipeline.records(images: data.images.map(\.path), features: features)
        let tokenizer = Tokenizer()
        return Dictionary(uniqueKeysWithValues: records.map { ($0.image, tokenizer.tokens($0.caption)) })
    }
}
