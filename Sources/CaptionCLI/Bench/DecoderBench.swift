import Application
import ArgumentParser
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

    @OptionGroup var captioner: CaptionerOptions

    func validate() throws {
        guard (1...10_000).contains(runs) else { throw ValidationError("--runs: must be in 1…10000, got \(runs)") }
        guard widths.count > 0, widths.allSatisfy({ (1...20).contains($0) }) else {
            throw ValidationError("--beam-sizes must be a comma-separated list of widths 1…20")
        }
    }

    var widths: [Int] { beamSizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let pipeline = try captioner.pipeline()
        let photo = pipeline.encoder.encode(try ImageSource.decode(image, maxPixels: captioner.image.maxPixels)).features
        var table = BenchTable(title: "caption bench decoder: \(DecoderTimings.describe(pipeline)), \(image)", item: "cap")
        let reference = try ModelFiles.captioner(captioner.model).decoder  // before packing, beside each step
        for width in widths {
            for (name, step) in DecoderTimings.steps(pipeline, reference: reference, photo: photo, rows: width, runs: runs * 5) {
                table.add(stage: "  one step, \(width) rows: \(name)", batch: "1", runs: runs * 5, msPerRun: step * 1000, perSecond: nil, gflops: nil)
            }
            // The same path as `caption IMAGE`: beam search, then the aligner's re-ranking.
            var timed = pipeline
            timed.policy.beamSize = width
            let caption = timed.record(image: image, photo: photo).caption
            let seconds = BenchTable.time(runs: runs) { _ = timed.record(image: image, photo: photo) }
            table.add(stage: "beam \(width): \(caption)", batch: "1", runs: runs,
                      msPerRun: seconds * 1000, perSecond: 1 / seconds, gflops: nil)
            // As `caption batch` runs it: a default batch, each core's share searched in lockstep.
            let batch = BatchRunner.defaultBatchSize
            let images = Array(repeating: image, count: batch), photos = Array(repeating: photo, count: batch)
            let lockstep = BenchTable.time(runs: runs) { _ = timed.records(images: images, features: photos) }
            table.add(stage: "beam \(width), \(batch) photos in lockstep on \(Parallel.workers) cores", batch: "\(batch)",
                      runs: runs, msPerRun: lockstep * 1000 / Double(batch), perSecond: Double(batch) / lockstep, gflops: nil)
        }
        DecoderTimings.rerank(pipeline, photo: photo, runs: runs).map { table.add(stage: "  of which re-ranking beam \(pipeline.policy.beamSize) by the aligner", batch: "1", runs: runs, msPerRun: $0 * 1000, perSecond: nil, gflops: nil) }
        emit(table)
    }
}
