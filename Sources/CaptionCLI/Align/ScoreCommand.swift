import Alignment
import ArgumentParser
import Foundation

/// `caption score`: how well a sentence describes a photo, by the aligner (paper eq. 8).
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score how well sentences describe photos (image–sentence alignment).",
        discussion: """
        The score is S = Σ over the sentence's words of the word vector's dot product with the \
        photo region it matches best (Karpathy & Fei-Fei 2015, eq. 8); normalized = S / words, \
        comparable across sentences of different lengths. Higher is a better match.

        Output: one TSV line a pair, `image<TAB>sentence<TAB>score<TAB>normalized`; with --json \
        one object a line {"image", "sentence", "score", "normalized", "words"}.

        --pairs FILE reads `IMAGE<TAB>sentence` lines (- for stdin) and streams one output line \
        per input line, in order, with "line" numbers in JSON. A line that cannot be scored (an \
        unreadable photo, an empty sentence or line, no tab, a sentence over 200 words: refused, not \
        truncated) prints `image<TAB>sentence<TAB>error:<reason>` (JSON: "error") and a \
        `caption: error: FILE:LINE: <reason>` line on stderr; the others go on, and the exit \
        status is 1. Each photo is encoded once while it keeps recurring (an LRU of \
        --image-cache photos), so memory stays flat for any length of input.

        Examples:
          caption score photo.jpg "a dog runs on the beach"
          caption score --pairs pairs.tsv --json
        """)

    @Argument(help: ArgumentHelp("A JPEG or PNG photo (not with --pairs).", valueName: "image"))
    var image: String?

    @Argument(help: ArgumentHelp("The sentence to score against it (at most 200 words).", valueName: "sentence"))
    var sentence: String?

    @Option(help: ArgumentHelp("Score the IMAGE<TAB>sentence lines of this file (- reads stdin).", valueName: "file.tsv"))
    var pairs: String?

    @Flag(help: "One JSON object a line instead of TSV.")
    var json = false

    @Option(help: ArgumentHelp("The aligner: a .safetensors file or a training output folder (default: the shipped weights/aligner.safetensors).", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("Photos whose region vectors are kept for reuse with --pairs (count; about 100 KB each).", valueName: "n"))
    var imageCache = 256

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        if let pairs {
            guard image == nil && sentence == nil else {
                throw ValidationError("give either IMAGE \"sentence\" or --pairs \(pairs), not both")
            }
        } else {
            guard let image, let sentence else {
                throw ValidationError("give an image and a sentence (caption score IMAGE \"sentence\"), or --pairs FILE.tsv")
            }
            guard !image.isEmpty else { throw ValidationError("the image path is empty") }
            if let problem = SentenceInput.usageProblem(sentence) { throw ValidationError(problem.description) }
        }
        guard imageCache >= 1 else { throw ValidationError("--image-cache must be at least 1, got \(imageCache)") }
    }

    func run() throws {
        let file = try AlignerLoader.load(model)
        let encoder = try EncoderLoader.load(imageOptions.weights)
        let regions = RegionEmbeddingCache(model: file.model, encoder: encoder, maxPixels: imageOptions.maxPixels,
                                           capacity: imageCache)
        if let pairs { return try scorePairs(pairs, file: file, regions: regions) }
        let result = score(image: image!, sentence: sentence!, line: nil, file: file, regions: regions)
        if case .failure(let problem) = result.outcome {
            reportError(image!, problem.description)
            throw ExitCode(1)
        }
        emit(json ? result.json : result.tsv)
    }

    private func scorePairs(_ path: String, file: AlignmentModelFile, regions: RegionEmbeddingCache) throws {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: path) else {
                reportError(path, "cannot open the pairs file")
                throw ExitCode(1)
            }
            handle = opened
        }
        let name = path == "-" ? "<stdin>" : path
        let reader = LineReader(handle: handle)
        var number = 0, failures = 0
        while let line = reader.next() {
            number += 1
            let result: PairResult
            switch line {
            case .tooLong(let bytes):
                result = PairResult(line: number, image: "", sentence: "", outcome: .failure(.lineTooLong(bytes)))
            case .text(let text):
                if let tab = text.firstIndex(of: "\t") {
                    result = score(image: String(text[..<tab]), sentence: String(text[text.index(after: tab)...]),
                                   line: number, file: file, regions: regions)
                } else {
                    let problem: PairProblem = text.allSatisfy(\.isWhitespace) ? .emptyLine : .missingTab
                    result = PairResult(line: number, image: text, sentence: "", outcome: .failure(problem))
                }
            }
            if case .failure(let problem) = result.outcome {
                failures += 1
                reportError("\(name):\(number)", problem.description)
            }
            // One write a line, so a consumer of the stream sees each result as it is made.
            FileHandle.standardOutput.write(Data(((json ? result.json : result.tsv) + "\n").utf8))
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func score(image: String, sentence: String, line: Int?, file: AlignmentModelFile,
                       regions: RegionEmbeddingCache) -> PairResult {
        var result = PairResult(line: line, image: image, sentence: sentence, outcome: .failure(.missingTab))
        // The sentence first: a bad sentence needs no photo decoded.
        switch SentenceInput.parse(sentence, with: file) {
        case .failure(let problem):
            result.outcome = .failure(.sentence(problem))
        case .success(let input):
            switch regions.embeddings(for: image) {
            case .failure(let problem):
                result.outcome = .failure(.image(problem))
            case .success(let v):
                let alignment = AlignmentModel.align(regionEmbeddings: v, sentenceEmbedding: file.model.embedSentence(input.ids))
                result.outcome = .success((alignment, input.tokens.count))
            }
        }
        return result
    }
}
