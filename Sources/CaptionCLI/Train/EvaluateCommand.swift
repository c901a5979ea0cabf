import Alignment
import ArgumentParser
import Captioning
import Evaluation
import Foundation
import Training
import Weights

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

    @Option(help: ArgumentHelp("The captioner (default: the shipped one).", valueName: "path"))
    var model: String?

    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var imageOptions: ImageOptions

    @Flag(help: "Print the scores as one JSON object.")
    var json = false

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    func run() throws {
        let data = try dataset.load(split: split)
        let tokenizer = Tokenizer()
        let candidates: [String: [String]]
        if let results {
            candidates = try Self.readResults(results, tokenizer: tokenizer, dataset: data)
        } else {
            candidates = try captionSplit(data)
        }
        var corpus: [CaptionCorpus.Image] = []
        for image in data.images {
            let references = image.captions.map { tokenizer.tokens($0) }
            guard let candidate = candidates[image.path] ?? candidates[image.fileName] else {
                reportError(results ?? dataset.data, "no caption for \(image.path)")
                throw ExitCode(1)
            }
            corpus.append(CaptionCorpus.Image(id: image.path, candidate: candidate, references: references))
        }
        let scores = CaptionMetrics.score(try CaptionCorpus(corpus))
        if json {
            let fields = scores.entries.map { "\(JSONText.quoted($0.name)):\(String(format: "%.2f", $0.points))" }
            emit("{\"images\":\(corpus.count),\(fields.joined(separator: ","))}")
        } else {
            emit("\(corpus.count) images, \(data.captionCount) reference captions")
            emit(scores)
        }
    }

    /// The model's best caption for every image of the split, as tokens, keyed by image path.
    private func captionSplit(_ data: CaptionDataset) throws -> [String: [String]] {
        let file = try CaptionerLoader.load(model)
        guard let spec = file.features else {
            reportError(model ?? "model", "a text-only model cannot caption images")
            throw ExitCode(1)
        }
        let encoder = try EncoderLoader.load(imageOptions.weights)
        let cache = try FeatureCache(url: URL(fileURLWithPath: dataset.cache))
        var extractor = FeatureExtractor(encoder: encoder, cache: cache)
        extractor.maxPixels = imageOptions.maxPixels
        let progress = ProgressBar(total: data.images.count, quiet: quiet)
        let features = try cache.features(for: data, extractor: extractor) { done, failed in
            progress.advance(by: done - progress.done, failed: failed - progress.failed, note: "encoding images")
        }
        progress.finish()
        let set = CaptionTrainingSet(data, vocabulary: file.vocabulary, tokenizer: file.tokenizer, maxLength: decoding.maxLength,
                                     features: features, pooling: spec.pooling)
        let evaluator = CaptionEvaluator(model: file.model, decoder: file.decoder, vocabulary: file.vocabulary, features: spec)
        let captions: [[String]]
        let reranks = decoding.reranks(model: model)
        let search = decoding.search(reranking: reranks)
        if reranks {
            let reranker = CaptionReranker(aligner: try AlignerLoader.load(nil), weight: decoding.rerankWeight)
            let regions = features.map { AlignmentRegions.from(pool5: $0.pool5, vector: $0.vector) }
            captions = evaluator.captions(set, search: search) { index, candidates in
                reranker.rerank(candidates, sentences: candidates.map { file.sentence($0.words) }, regions: regions[index]).first
            }
        } else {
            captions = evaluator.captions(set, search: search)
        }
        return Dictionary(uniqueKeysWithValues: zip(data.images.map(\.path), captions))
    }

    /// JSONL results: `{"image": path, "caption": text}` per line; other fields are ignored.
    static func readResults(_ path: String, tokenizer: Tokenizer, dataset: CaptionDataset) throws -> [String: [String]] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            reportError(path, "cannot read: \(error.localizedDescription)")
            throw ExitCode(1)
        }
        var captions: [String: [String]] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let image = object["image"] as? String else {
                reportError("\(path):\(number + 1)", "not a JSON object with an \"image\" field")
                throw ExitCode(1)
            }
            guard let caption = object["caption"] as? String else { continue }  // an {"image", "error"} line
            let key = URL(fileURLWithPath: image).lastPathComponent
            captions[image] = tokenizer.tokens(caption)
            captions[key] = tokenizer.tokens(caption)
        }
        return captions
    }
}
