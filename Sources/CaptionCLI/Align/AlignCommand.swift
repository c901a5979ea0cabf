import Alignment
import ArgumentParser
import Foundation
import ImageDecoding
import Weights

/// `caption align`: which region of a photo each word of a sentence aligns with.
struct AlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Show which photo region each word of a sentence aligns with.",
        discussion: """
        Prints a table: each word, the region it matches best (a cell of the 7 × 7 grid over the \
        photo, counted from the top left, or the whole image) and the word's score there; then \
        the sentence's score S and S / words. Words not in the aligner's vocabulary are read as \
        <unk> and marked `?`.

        --html writes a self-contained page (the photo embedded, no external references) in \
        the style of Karpathy & Fei-Fei 2015, figure 5: the photo with each chosen region boxed \
        and labeled, the word list beside it (hover to highlight), and one thumbnail per word \
        with its region boxed. The file is written atomically.

        Example:
          caption align photo.jpg "a dog jumps over a fence" --html align.html
        """)

    @Argument(help: ArgumentHelp("A JPEG or PNG photo.", valueName: "image"))
    var image: String

    @Argument(help: ArgumentHelp("The sentence to align (at most 200 words).", valueName: "sentence"))
    var sentence: String

    @Option(help: ArgumentHelp("Also write the alignment as a self-contained HTML page here.", valueName: "out.html"))
    var html: String?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("The aligner: a .safetensors file or a training output folder (default: the shipped weights/aligner.safetensors).", valueName: "path"))
    var model: String?

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        if let problem = SentenceInput.usageProblem(sentence) { throw ValidationError(problem.description) }
        if let html, html.isEmpty { throw ValidationError("--html needs a file name") }
    }

    func run() throws {
        let file = try AlignerLoader.load(model)
        let input: SentenceInput
        switch SentenceInput.parse(sentence, with: file) {
        case .success(let parsed): input = parsed
        case .failure(let problem):
            reportError(image, problem.description)
            throw ExitCode(1)
        }
        let encoder = try EncoderLoader.load(imageOptions.weights)
        let bytes: Data, photo: Image
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        } catch {
            reportError(image, "cannot read file: \((error as? CocoaError)?.underlying?.localizedDescription ?? error.localizedDescription)")
            throw ExitCode(1)
        }
        do {
            photo = try ImageDecoder.decode(bytes, maxPixels: imageOptions.maxPixels)
        } catch {
            reportError(image, error.description)
            throw ExitCode(1)
        }
        let alignment = file.model.score(regions: RegionEmbeddingCache.regions(of: photo, encoder: encoder), sentence: input.ids)
        let known = input.tokens.map { file.vocabulary.id(for: $0) != nil }
        emit(json ? Self.json(image: image, sentence: sentence, tokens: input.tokens, known: known, alignment: alignment)
                   : Self.table(tokens: input.tokens, known: known, alignment: alignment))
        guard let html else { return }
        let page = AlignmentPage(imageName: URL(fileURLWithPath: image).lastPathComponent, imageBytes: bytes,
                                 mimeType: bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? "image/png" : "image/jpeg",
                                 width: photo.width, height: photo.height, sentence: sentence, tokens: input.tokens,
                                 known: known, alignment: alignment)
        try writeOutputFile(html, page.html)
    }

    /// The word → region table.
    static func table(tokens: [String], known: [Bool], alignment: PairAlignment) -> String {
        let width = max(12, (tokens.map(\.count).max() ?? 0) + 3)
        var lines = ["word".padding(toLength: width, withPad: " ", startingAt: 0) + "region".padding(toLength: 22, withPad: " ", startingAt: 0) + "score"]
        for (index, token) in tokens.enumerated() {
            let word = token + (known[index] ? "" : " ?")
            lines.append(word.padding(toLength: width, withPad: " ", startingAt: 0)
                         + AlignmentPage.regionName(alignment.alignment[index]).padding(toLength: 22, withPad: " ", startingAt: 0)
                         + String(format: "%.3f", alignment.wordScores[index]))
        }
        lines.append(String(format: "S = %.4f over %d words (S / words = %.4f)", alignment.raw, tokens.count, alignment.normalized))
        return lines.joined(separator: "\n")
    }

    static func json(image: String, sentence: String, tokens: [String], known: [Bool], alignment: PairAlignment) -> String {
        let words = tokens.indices.map { index in
            let region = alignment.alignment[index]
            let cell = AlignmentRegions.cell(ofRegion: region).map { ",\"row\":\($0.row),\"column\":\($0.column)" } ?? ""
            return "{\"word\":\(JSONText.quoted(tokens[index])),\"known\":\(known[index]),\"region\":\(region)\(cell),"
                + "\"score\":\(PairResult.number(alignment.wordScores[index]))}"
        }
        return "{\"image\":\(JSONText.quoted(image)),\"sentence\":\(JSONText.quoted(sentence)),"
            + "\"score\":\(PairResult.number(alignment.raw)),\"normalized\":\(PairResult.number(alignment.normalized)),"
            + "\"words\":[\(words.joined(separator: ","))]}"
    }
}
