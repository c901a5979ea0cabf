import ArgumentParser
import Application
import Foundation

/// `caption bench end-to-end`: one JPEG from file to caption, cold and warm; or, with --dir, a
/// whole folder through `caption batch`'s pipeline.
struct EndToEndBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end-to-end",
        abstract: "Time captioning one photo (cold and warm), or a folder as `caption batch` does.",
        discussion: """
        Cold: read the VGG16 and captioner weights, then read, decode, resize, encode and \
        caption the photo with the default decoding (as `caption photo.jpg` does) — what one \
        `caption photo.jpg` costs after process start. \
        Warm: the same photo again with the models loaded, averaged over --runs.

        With --dir: every photo under the folder goes through `caption batch`'s pipeline (decode \
        and resize on a thread, encode a batch at a time, beam search, write JSONL to a temporary \
        file), and the table gives its images/s beside the encoder alone on the same batch size, \
        ONNX Runtime's figure if given, and the process's peak memory (RSS).

        Examples:
          caption bench end-to-end examples/astronaut.jpg
          caption bench end-to-end --dir dev-photos/ --onnxruntime 6.8
        """)

    @Argument(help: ArgumentHelp("The photo to caption.", valueName: "image"))
    var image = "examples/astronaut.jpg"

    @Option(help: ArgumentHelp("Caption every photo under this folder instead, as `caption batch` does.", valueName: "dir"))
    var dir: String?

    @Option(help: "Warm runs to average.")
    var runs = 10

    @Option(help: ArgumentHelp("With --dir: ONNX Runtime's encoder img/s on this machine (bench/onnxruntime_encoder.py), to print the ratio.", valueName: "img/s"))
    var onnxruntime: Double?

    @OptionGroup var captioner: CaptionerOptions

    func validate() throws {
        guard (1...10_000).contains(runs) else { throw ValidationError("--runs: must be in 1…10000, got \(runs)") }
        if let onnxruntime, !(onnxruntime > 0 && onnxruntime < 1e6) {
            throw ValidationError("--onnxruntime: must be a positive rate in img/s, got \(onnxruntime)")
        }
    }

    func run() throws {
        if let dir { return try runFolder(dir) }
        emit(try PhotoBenchmark.table(image: image, maxPixels: captioner.image.maxPixels, runs: runs) { try captioner.pipeline() })
    }

    /// The batch pipeline over a folder, then the encoder alone at the same batch size.
    private func runFolder(_ dir: String) throws {
        let pipeline = try captioner.pipeline(confidence: true)
        let figures = try FolderBenchmark.run(folder: dir, pipeline: pipeline, maxPixels: captioner.image.maxPixels,
                                              encoderRuns: max(1, min(runs, 5)))
        emit(figures.table(folder: dir, beamSize: pipeline.policy.beamSize, onnxruntime: onnxruntime))
    }
}
