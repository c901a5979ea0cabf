import Application
import ArgumentParser
import Encoder
import Foundation
import Tensors

/// `caption bench …`: speed figures beside a reference (this machine's sgemm, ONNX Runtime).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed: images per second and GFLOP/s beside this machine's sgemm peak.",
        subcommands: [EncoderBench.self, DecoderBench.self, EndToEndBench.self, TrainBench.self])
}

/// `caption bench encoder`: the VGG16 conv base at batch 1 and 4.
struct EncoderBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Time the VGG16 encoder (conv base) at batch 1 and batch 4.",
        discussion: """
        Prints a table: stage, batch, runs, ms per image, images/s and GFLOP/s (30.7 GFLOP per \
        224 × 224 image), with this machine's sgemm GFLOP/s on all cores measured in the same run \
        as the reference peak. Pass ONNX Runtime's img/s on the same conv base at batch 1 and 4 \
        (bench/onnxruntime_encoder.py prints them) with --onnxruntime to get the ratios.

        --plan times every algorithm (im2col, Winograd F(2×2), F(4×4)) and core split for each \
        layer, prints them, and saves the fastest within the memory budget beside the weights \
        (vgg16.plan.json); later runs prepare their kernels for it. scripts/setup runs it once.

        Example:
          caption bench encoder --runs 5 --onnxruntime 6.15,6.11 --layers
        """)

    @Option(help: "Timed runs per batch size (after one warm-up run).")
    var runs = 5

    @Option(help: ArgumentHelp("Input side in pixels.", valueName: "pixels"))
    var size = VGG16Layout.inputSize

    @Option(help: ArgumentHelp("ONNX Runtime's img/s at batch 1, or at batch 1 and 4 (e.g. 6.15,6.11), to print the ratios.",
                               valueName: "img/s[,img/s]"))
    var onnxruntime: ReferenceRates?

    @Flag(help: "Also print each layer's algorithm, time and GFLOP/s at batch 1.")
    var layers = false

    @Flag(help: "Measure every algorithm per layer on this machine and save the plan beside the weights.")
    var plan = false

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        guard (1...10_000).contains(runs) else { throw ValidationError("--runs: must be in 1…10000, got \(runs)") }
        guard (32...2048).contains(size) else { throw ValidationError("--size: must be in 32…2048 (five 2×2 pools), got \(size)") }
    }

    func run() throws {
        if plan { try measurePlan() }
        let encoder = try ModelFiles.encoder(imageOptions.weights)
        let (table, input) = EncoderTimings.measure(encoder, size: size, runs: runs, onnxruntime: onnxruntime?.rates ?? [])
        emit(table)
        if layers { emit(LayerProfile.measure(encoder, input: input, runs: runs)) }
    }

    /// Times the candidates for each layer, prints them, and saves the plan they give.
    private func measurePlan() throws {
        let weights = try ModelFiles.encoderFile(imageOptions.weights)
        let (plan, timings) = ConvPlan.measure(VGGEncoder.planShapes, runs: min(runs, 3))
        emit(LayerProfile.planTable(plan, timings: timings))
        do {
            try VGGEncoder.savePlan(plan, forWeights: weights)
        } catch {
            throw CaptionError.input(weights.path, "cannot save the plan beside the weights: \(error)")
        }
    }
}

/// `--onnxruntime 6.15` or `--onnxruntime 6.15,6.11`: reference img/s at batch 1 (and 4).
struct ReferenceRates: ExpressibleByArgument {
    let rates: [Double]

    init?(argument: String) {
        let rates = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
        guard (1...2).contains(rates.count), rates.allSatisfy({ $0.map { $0 > 0 && $0 < 1e6 } ?? false }) else { return nil }
        self.rates = rates.map { $0! }
    }
}

