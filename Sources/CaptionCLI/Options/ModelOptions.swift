import Alignment
import Application
import ArgumentParser

/// The captioner, how it decodes and how photos are read: what every command that captions
/// photos takes (`caption`, `caption batch`, `caption evaluate captions`, the benchmarks).
struct CaptionerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A trained captioner: a .safetensors file or a training output folder (default: the shipped weights/captioner.safetensors).", valueName: "path"))
    var model: String?

    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var image: ImageOptions

    /// The captioner, the encoder and (to re-rank, or for a `confidence`) the aligner, loaded.
    func pipeline(confidence: Bool = false) throws(CaptionError) -> CaptionPipeline {
        try CaptionPipeline(model: model, weights: image.weights, policy: decoding.policy, confidence: confidence)
    }
}

/// The aligner and how photos are read: what `score`, `align`, `retrieve` and
/// `evaluate alignment` take.
struct AlignerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The aligner: a .safetensors file or a training output folder (default: the shipped weights/aligner.safetensors).", valueName: "path"))
    var model: String?

    @OptionGroup var image: ImageOptions

    func aligner() throws -> AlignmentModelFile { try ModelFiles.aligner(model) }
}

/// `--json` and `--quiet`: how a command reports.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object a line instead of text.")
    var json = false

    @Flag(help: "No progress bar on stderr.")
    var quiet = false
}

/// Photos named on the command line.
struct PhotoArguments: ParsableArguments {
    @Argument(help: ArgumentHelp("Photo files (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, AVIF); - reads one photo from stdin.", valueName: "image"))
    var images: [String] = []

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image (or - for stdin)") }
        guard images.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("- (stdin) can be given only once") }
    }
}
