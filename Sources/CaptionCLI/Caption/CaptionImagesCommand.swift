import Alignment
import ArgumentParser
import Captioning
import Encoder
import Foundation
import ImageDecoding
import Tensors
import Weights

/// `caption IMAGE…`: a sentence for each photo.
struct CaptionImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Caption photos (the default: `caption photo.jpg`).",
        discussion: """
        Prints one caption a line, in the order the photos were given; a photo that cannot be \
        read prints `caption: error: <file>: <reason>` on stderr and an empty line on stdout, so \
        lines still match the arguments, and the exit status is 1. With --json, one object a line:
          {"image", "caption", "logprob", "score", "beams": [{"caption", "logprob", "score", "word_logprobs"}]}
        or {"image", "error"} for a photo that failed. logprob is the natural-log probability of \
        the caption including its end; score is logprob / length^α (--length-penalty). With the \
        shipped aligner present, the object also has "confidence": the aligner's score of the \
        chosen caption per word (S / words), which, unlike logprob, does not fall with length. \
        --rerank picks the caption from the beam by a mix of both scores.

        Examples:
          caption examples/chelsea.jpg
          caption *.jpg --json --n-best 3
          caption photo.jpg --sample --temperature 0.8 --seed 7
          curl -s https://… | caption -
        """)

    @Argument(help: ArgumentHelp("JPEG or PNG files; - reads one image from stdin.", valueName: "image"))
    var images: [String]

    @Flag(help: "One JSON object per photo, with the n-best list and log-probabilities.")
    var json = false

    @Option(help: ArgumentHelp("A trained captioner: a .safetensors file or a training output folder (default: the shipped weights/captioner.safetensors).", valueName: "path"))
    var model: String?

    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var imageOptions: ImageOptions

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image (or - for stdin)") }
        guard images.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("- (stdin) can be given only once") }
    }

    func run() throws {
        let pipeline = try CaptionPipeline(model: model, imageOptions: imageOptions)
        let captioner = pipeline.captioner
        // The aligner scores captions for --rerank (required) and --json's confidence (if shipped).
        let reranker = try rerankerIfNeeded()
        let progress = ProgressBar(total: images.count, quiet: quiet)
        var rng = SplitMix64(seed: decoding.seed)
        var failures = 0
        for path in images {
            let name = path == "-" ? "<stdin>" : path
            let image: Image
            do {
                image = try ImageSource.decode(path, maxPixels: imageOptions.maxPixels)
            } catch {
                reportError(name, "\(error)")
                emit(json ? "{\"image\":\(JSONText.quoted(path)),\"error\":\(JSONText.quoted("\(error)"))}" : "")
                failures += 1
                progress.advance(failed: 1)
                continue
            }
            let output = pipeline.encoder.encode(image)
            var captions = decoding.decode(captioner.model, feature: pipeline.feature(from: output), rng: &rng)
            var confidence: Float?
            if let reranker {
                let regions = AlignmentRegions.from(pool5: output.pool5, vector: output.imageVector)
                if decoding.rerank {
                    captions = Array(reranker.rerank(captions, sentences: captions.map { captioner.sentence($0.words) },
                                                     regions: regions).prefix(decoding.nBest))
                }
                confidence = captions.first.map { reranker.confidence(captioner.sentence($0.words), regions: regions) }
            }
            emit(json ? CaptionJSON.line(image: path, captions: captions, file: captioner, confidence: confidence)
                       : captioner.sentence(captions.first?.words ?? []))
            progress.advance()
        }
        progress.finish()
        if failures > 0 { throw ExitCode(1) }
    }
}

extension CaptionImagesCommand {
    /// The aligner, when --rerank needs it (an error if missing) or --json can show a confidence.
    func rerankerIfNeeded() throws -> CaptionReranker? {
        guard decoding.rerank || json else { return nil }
        if !decoding.rerank && !FileManager.default.fileExists(atPath: WeightsDirectory.locate("aligner.safetensors").path) {
            return nil
        }
        return CaptionReranker(aligner: try AlignerLoader.load(nil), weight: decoding.rerankWeight)
    }
}

extension CaptionModelFile {
    /// Word ids → the printed sentence.
    func sentence(_ words: [Int]) -> String {
        tokenizer.join(vocabulary.decode(words))
    }
}

/// The `--json` line for one captioned photo.
enum CaptionJSON {
    static func line(image: String, captions: [DecodedCaption], file: CaptionModelFile, confidence: Float?) -> String {
        func number(_ x: Float) -> String { String(format: "%.4f", x) }
        let beams = captions.map { caption in
            "{\"caption\":\(JSONText.quoted(file.sentence(caption.words))),\"logprob\":\(number(caption.logProbability)),"
                + "\"score\":\(number(caption.score)),\"word_logprobs\":[\(caption.tokenLogProbabilities.map(number).joined(separator: ","))]}"
        }
        let best = captions.first
        return "{\"image\":\(JSONText.quoted(image)),\"caption\":\(JSONText.quoted(file.sentence(best?.words ?? []))),"
            + "\"logprob\":\(number(best?.logProbability ?? 0)),\"score\":\(number(best?.score ?? 0)),"
            + (confidence.map { "\"confidence\":\(number($0))," } ?? "")
            + "\"beams\":[\(beams.joined(separator: ","))]}"
    }
}
