import Application
import Alignment
import ArgumentParser
import Foundation
import Support

/// `caption score`: how well a sentence describes a photo, by the aligner (paper eq. 8).
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score how well sentences describe photos (image–sentence alignment).",
        discussion: """
        The score is S = Σ over the sentence's words of the word vector's dot product with the \
        photo region it matches best (Karpathy & Fei-Fei 2015, eq. 8); normalized = S / words, \
        comparable across sentences of different lengths. Higher is a better match.

        \(MatchReading.help)

        Output: one TSV line a pair, `image<TAB>sentence<TAB>score<TAB>normalized<TAB>match`; with \
        --json one object a line {"image", "sentence", "score", "normalized", "match", "words"}.

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

    @Argument(help: ArgumentHelp("A photo (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC or AVIF; not with --pairs).", valueName: "image"))
    var image: String?

    @Argument(help: ArgumentHelp("The sentence to score against it (at most 200 words).", valueName: "sentence"))
    var sentence: String?

    @Option(help: ArgumentHelp("Score the IMAGE<TAB>sentence lines of this file (- reads stdin).", valueName: "file.tsv"))
    var pairs: String?

    @Flag(help: "One JSON object a line instead of TSV.")
    var json = false

    @OptionGroup var aligner: AlignerOptions

    @Option(help: ArgumentHelp("Photos whose region vectors are kept for reuse with --pairs (count; about 100 KB each).", valueName: "n"))
    var imageCache = 256

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
        guard (1...100_000).contains(imageCache) else { throw ValidationError("--image-cache: must be in 1…100000, got \(imageCache)") }
    }

    func run() throws {
        let scorer = PairScorer(aligner: try aligner.aligner(), encoder: try ModelFiles.encoder(aligner.image.weights),
                                maxPixels: aligner.image.maxPixels, capacity: imageCache)
        guard let pairs else {
            let result = scorer.score(image: image!, sentence: sentence!)
            if case .failure(let problem) = result.outcome { throw CaptionError.input(image!, problem.description) }
            if case .success(let scored) = result.outcome, let warning = scored.reading.warning { warn(warning) }
            return emit(json ? result.json : result.tsv)
        }
        let handle: FileHandle
        if pairs == "-" {
            handle = FileHandle.standardInput
        } else if let opened = FileHandle(forReadingAtPath: pairs) {
            handle = opened
        } else {
            throw CaptionError.usage(pairs, "cannot open the pairs file")
        }
        let name = ImageSource.displayName(pairs)
        let failures = scorer.scoreLines(LineReader(handle: handle)) { result in
            switch result.outcome {
            case .failure(let problem): report(.input("\(name):\(result.line ?? 0)", problem.description))
            case .success(let scored): if let warning = scored.reading.warning { warn("\(name):\(result.line ?? 0): \(warning)") }
            }
            emit(json ? result.json : result.tsv)
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
