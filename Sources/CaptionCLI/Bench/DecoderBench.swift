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
        Encodes the photo once, then decodes it --runs times at each beam width (other settings \
        as `caption`'s defaults) and prints ms per caption, on one core.

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
        let feature = pipeline.feature(for: photo)
        let defaults = try DecodingOptions.parse([])
        var table = BenchTable(title: "caption bench decoder: \(file.model.config.cell.rawValue) "
                               + "\(file.model.config.embeddingSize)/\(file.model.config.hiddenSize), vocabulary \(file.vocabulary.count), "
                               + "length penalty \(defaults.lengthPenalty), no-repeat \(defaults.noRepeatNgram)-grams, one core, \(image)")
        for width in widths {
            var decoding = try DecodingOptions.parse([])
            decoding.beamSize = width
            var rng = SplitMix64(seed: decoding.seed)
            let caption = decoding.decode(file.decoder, feature: feature, rng: &rng).first
            let seconds = BenchTable.time(runs: runs) { _ = decoding.decode(file.decoder, feature: feature, rng: &rng) }
            table.add(stage: "beam \(width): \(file.sentence(caption?.words ?? []))", batch: "1", runs: runs,
                      msPerRun: seconds * 1000, perSecond: 1 / seconds, gflops: nil)
        }
        emit(table.description.replacingOccurrences(of: "ms/img", with: "ms/cap").replacingOccurrences(of: "img/s", with: "cap/s"))
    }
}
