import Application
import Alignment
import ArgumentParser
import Evaluation
import Foundation
import Datasets
import Support

/// `caption evaluate alignment`: image annotation and image search on a dataset split.
struct EvaluateAlignmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alignment",
        abstract: "Image annotation and image search R@1/5/10 and median rank on a dataset split.",
        discussion: """
        Every image of the split is scored against every sentence of the split with the aligner \
        (features from the cache; images not in it are encoded first). Image annotation ranks \
        all sentences for each image (the rank of its best correct sentence counts); image \
        search ranks all images for each sentence. R@K is the percentage of queries with the \
        correct item in the top K; medr is the median rank (1 = first). Ties count against the \
        correct item. The ranking score is S (paper eq. 8), or S / words with --normalized.

        --calibrate also fits "match" on the split (Platt scaling of S / words: each sentence with \
        its own image against it with every other image, the classes weighted equally) and \
        rewrites the --model file with it, atomically, weights unchanged. \(MatchReading.help)

        Examples:
          caption evaluate alignment --data ../shared/datasets/flickr8k --split dev
          caption evaluate alignment --data ../shared/datasets/flickr8k --split dev --model run/ --calibrate
        """)

    @OptionGroup var dataset: DatasetOptions

    @Option(help: ArgumentHelp("The split to rank: a split file, or a name such as dev.", valueName: "split"))
    var split = "dev"

    @Flag(help: "Rank sentences for an image by S divided by the sentence's length in words.")
    var normalized = false

    @Flag(help: "Fit the match probability on this split and store it in the aligner file (rewritten in place).")
    var calibrate = false

    @OptionGroup var aligner: AlignerOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let file = try aligner.aligner()
        let data = try dataset.load(split: split)
        let cache = try aligner.image.cachedFeatures(dataset.cache)
        try cache.checkRegions(for: file.model)
        let features = try cache.features(of: data, datasetName: dataset.data, label: split, quiet: output.quiet,
                                          regionGrid: file.model.config.regionGrid)
        let set = AlignmentTrainingSet(data, vocabulary: file.vocabulary, tokenizer: file.tokenizer, features: features,
                                       regionGrid: file.model.config.regionGrid)
        let evaluator = AlignmentEvaluator(model: file.model), scores = evaluator.scores(set)
        let metrics = evaluator.metrics(set, scores: scores, normalized: normalized)
        let calibration = calibrate ? try AlignerCalibration(scores: scores, sentenceImages: set.sentenceImages) : nil
        try calibration?.store(in: file, at: ModelFiles.resolve(aligner.model, shipped: "aligner", kind: "aligner"), split: split)
        if output.json {
            func direction(_ d: RetrievalMetrics.Direction) -> JSON {
                .object([("r1", .double(d.recallAt1 * 100)), ("r5", .double(d.recallAt5 * 100)),
                         ("r10", .double(d.recallAt10 * 100)), ("median_rank", .int(d.medianRank)),
                         ("mean_rank", .double(d.meanRank))])
            }
            emit(JSON.object([("images", .int(set.images.count)), ("sentences", .int(set.sentences.count)),
                              ("annotation", direction(metrics.annotation)), ("search", direction(metrics.search))]
                             + (calibration.map { [("calibration", $0.json)] } ?? [])).text)
        } else {
            emit("\(set.images.count) images, \(set.sentences.count) sentences")
            emit(metrics)
            calibration?.summary.forEach(emit)
        }
    }
}
