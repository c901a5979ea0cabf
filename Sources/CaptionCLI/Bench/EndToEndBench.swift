import ArgumentParser
import Captioning
import Encoder
import Foundation
import ImageDecoding
import Tensors

/// `caption bench end-to-end`: one JPEG from file to caption, cold and warm.
struct EndToEndBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end-to-end",
        abstract: "Time captioning one photo: cold (loading both models first) and warm.",
        discussion: """
        Cold: read the VGG16 and captioner weights, then read, decode, resize, encode and \
        caption the photo with the default decoding (as `caption photo.jpg` does) — what one \
        `caption photo.jpg` costs after process start. \
        Warm: the same photo again with the models loaded, averaged over --runs.

        Example:
          caption bench end-to-end examples/astronaut.jpg
        """)

    @Argument(help: ArgumentHelp("The photo to caption.", valueName: "image"))
    var image = "examples/astronaut.jpg"

    @Option(help: "Warm runs to average.")
    var runs = 10

    @Option(help: ArgumentHelp("The captioner (default: the shipped one).", valueName: "path"))
    var model: String?

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        var caption = ""
        let start = DispatchTime.now().uptimeNanoseconds
        let decoding = try DecodingOptions.parse([])
        let pipeline = try CaptionPipeline(model: model, imageOptions: imageOptions, decoding: decoding)
        let loaded = DispatchTime.now().uptimeNanoseconds
        var rng = SplitMix64(seed: decoding.seed)
        func captionOnce() throws {
            let photo = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: image), maxPixels: imageOptions.maxPixels)
            let best = decoding.decode(pipeline.captioner.model, feature: pipeline.feature(for: photo), rng: &rng).first
            caption = pipeline.captioner.sentence(best?.words ?? [])
        }
        do {
            try captionOnce()
        } catch {
            reportError(image, "\(error)")
            throw ExitCode(1)
        }
        let cold = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        let loading = Double(loaded - start) / 1e6
        let warm = BenchTable.time(runs: runs) { try? captionOnce() } * 1000
        var table = BenchTable(title: "caption bench end-to-end: \(image) → \"\(caption)\" (\(Parallel.workers) cores)")
        table.add(stage: "cold (load weights + caption)", batch: "1", runs: 1, msPerRun: cold, perSecond: nil, gflops: nil)
        table.add(stage: "  of which loading weights", batch: "-", runs: 1, msPerRun: loading, perSecond: nil, gflops: nil)
        table.add(stage: "warm (decode, encode, beam \(decoding.beamSize))", batch: "1", runs: runs, msPerRun: warm, perSecond: 1000 / warm, gflops: nil)
        emit(table)
    }
}
