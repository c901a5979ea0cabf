import Application
import ArgumentParser
import Foundation

/// `caption attend`: an attention captioner's caption of a photo, and where it looked for
/// each word.
struct AttendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attend",
        abstract: "Caption a photo and show where the attention captioner looked for each word.",
        discussion: """
        Needs an attention captioner: the shipped one, or one trained with `--decoder attention`. Prints the caption, then for each \
        word and <end> the 7 × 7 cell it looked at most (row, column from the top left), that \
        cell's weight α and the five top cells' share (1 = one spot, 0.10 = spread evenly). \
        --html writes a self-contained page as in Show, Attend and Tell (Xu et al. 2015): per \
        word, the photo darkened where the word did not look.

        Example:
          caption attend photo.jpg --model runs/attention --html attend.html
        """)

    @Argument(help: ArgumentHelp("A photo (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC or AVIF).", valueName: "image"))
    var image: String

    @Option(help: ArgumentHelp("Also write the attention as a self-contained HTML page here.", valueName: "out.html"))
    var html: String?

    @Flag(help: "Print one JSON object (every word's weights) instead of the table.")
    var json = false

    @OptionGroup var captioner: CaptionerOptions

    func validate() throws {
        if let html, html.isEmpty { throw ValidationError("--html needs a file name") }
    }

    func run() throws {
        let pipeline = try captioner.pipeline()
        let (bytes, photo) = try ImageSource.read(image, maxPixels: captioner.image.maxPixels)
        let attended = try AttendedCaption(image: image, photo: pipeline.encoder.encode(photo).features, pipeline: pipeline)
        emit(json ? attended.json : attended.table)
        guard let html else { return }
        let page = try AttentionPage(imageName: URL(fileURLWithPath: image).lastPathComponent, photoFile: bytes, photo: photo,
                                     caption: attended.caption, words: attended.words, attention: attended.attention,
                                     grid: attended.grid, logProbabilities: attended.logProbabilities)
        try OutputFile.write(html, page.html)
    }
}
