import ArgumentParser
import Captioning
import Encoder
import Foundation
import ImageDecoding
import Tensors

/// `caption bench decoder`: milliseconds per caption for each beam width.
struct DecoderBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decoder",
        abstract: "Time caption decoding (greedy and beam search) on an example photo's features.",
        discussion: """
        Encodes the photo once, then captions its features --runs times at each beam width (other \
        settings as `caption`'s defaults, so with the shipped aligner's re-ranking) and prints ms \
        per caption, on one core: one photo alone, as `caption IMAGE` runs, and a core's share \
        of a `caption batch` batch searched in lockstep.

        Example:
          caption bench decoder --beam-sizes 1,2,3,5,7
        """)

    @Argument(help: ArgumentHelp("The photo whose features are decoded.", valueName: "image"))
    var image = "examples/astronaut.jpg"

    @Option(help: ArgumentHelp("Beam widths to time, comma-separated.", valueName: "k,k,…"))
    var beamSizes = "1,3"

    @Option(help: "Timed runs per beam width (after one warm-up run).")
    var runs = 20

    @Option(help: ArgumentHelp("The captioner (default: the shipped one).", valueName: "path"))
    var model: String?

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard widths.count > 0, widths.allSatisfy({ (1...20).contains($0) }) else {
            throw ValidationError("--beam-sizes must be a comma-separated list of widths 1…20")
        }
    }

    var widths: [Int] { beamSizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let pipeline = try CaptionPipeline(model: model, imageOptions: imageOptions, decoding: DecodingOptions.parse([]))
        let file = pipeline.captioner
        let photo: Image
        do {
            photo = try ImageSource.decode(image, maxPixels: imageOptions.maxPixels)
        } catch {
            reportError(image, "\(error)")
            throw ExitCode(1)
        }
        let output = pipeline.encoder.encode(photo)
        let defaults = pipeline.decoding
        var table = BenchTable(title: "caption bench decoder: \(file.model.config.cell.rawValue) "
                               + "\(file.model.config.embeddingSize)/\(file.model.config.hiddenSize)"
                               + (file.ensemble.isEmpty ? "" : " × \(file.ensemble.count + 1) (ensemble)")
                               + ", vocabulary \(file.vocabulary.count), length penalty \(defaults.lengthPenalty), "
                               + "no-repeat \(defaults.noRepeatNgram)-grams\(pipeline.reranks ? ", aligner re-ranking" : ""), one core, \(image)")
        for width in widths {
            // The same path as `caption IMAGE`: beam search, then the aligner's re-ranking.
            var timed = pipeline
            timed.decoding.beamSize = width
            var rng = SplitMix64(seed: timed.decoding.seed)
            let caption = timed.record(image: image, output: output, rng: &rng).caption
            let seconds = BenchTable.time(runs: runs) { _ = timed.record(image: image, output: output, rng: &rng) }
            table.add(stage: "beam \(width): \(caption)", batch: "1", runs: runs,
                      msPerRun: seconds * 1000, perSecond: 1 / seconds, gflops: nil)
            // As `caption batch` runs it: a core's share of a default batch, searched in lockstep.
            let share = BatchRunner.defaultBatchSize / Parallel.workers
            let images = Array(repeating: image, count: share), outputs = Array(repeating: output, count: share)
            let lockstep = BenchTable.time(runs: runs) { _ = timed.records(images: images, outputs: outputs) { _ in 1 } }
            table.add(stage: "beam \(width), \(share) photos in lockstep", batch: "\(share)", runs: runs,
                      msPerRun: lockstep * 1000 / Double(share), perSecond: Double(share) / lockstep, gflops: nil)
        }
        emit(table.description.replacingOccurrences(of: "ms/img", with: "ms/cap").replacingOccurrences(of: "img/s", with: "cap/s"))
    }
}
