import Application
import ArgumentParser
import Foundation
import ImageDecoding

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

        \(MatchReading.help)

        --html writes a self-contained page (the photo embedded, no external references) in \
        the style of Karpathy & Fei-Fei 2015, figure 5: the photo with each chosen region boxed \
        and labeled, the word list beside it (hover to highlight), and one thumbnail per word \
        with its region boxed. The file is written atomically.

        Example:
          caption align photo.jpg "a dog jumps over a fence" --html align.html
        """)

    @Argument(help: ArgumentHelp("A photo (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC or AVIF).", valueName: "image"))
    var image: String

    @Argument(help: ArgumentHelp("The sentence to align (at most 200 words).", valueName: "sentence"))
    var sentence: String

    @Option(help: ArgumentHelp("Also write the alignment as a self-contained HTML page here.", valueName: "out.html"))
    var html: String?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @OptionGroup var aligner: AlignerOptions

    func validate() throws {
        if let problem = SentenceInput.usageProblem(sentence) { throw ValidationError(problem.description) }
        if let html, html.isEmpty { throw ValidationError("--html needs a file name") }
    }

    func run() throws {
        let file = try aligner.aligner()
        let input: SentenceInput
        switch SentenceInput.parse(sentence, with: file) {
        case .success(let parsed): input = parsed
        case .failure(let problem): throw CaptionError.input(image, problem.description)
        }
        let encoder = try ModelFiles.encoder(aligner.image.weights)
        let (bytes, photo) = try ImageSource.read(image, maxPixels: aligner.image.maxPixels)
        let alignment = file.model.score(regions: file.model.regions(of: encoder.encode(photo).features)!, sentence: input.ids)
        let text = AlignmentText(image: image, input: input, alignment: alignment, calibration: file.calibration)
        if let warning = text.reading?.warning { warn(warning) }
        emit(json ? text.json : text.table)
        guard let html else { return }
        let page = try AlignmentPage(imageName: URL(fileURLWithPath: image).lastPathComponent, photoFile: bytes, photo: photo,
                                     sentence: sentence, tokens: input.tokens, known: text.known, alignment: alignment,
                                     reading: text.reading)
        try OutputFile.write(html, try page.html())
    }
}
