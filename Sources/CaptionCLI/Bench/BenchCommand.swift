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
        subcommands: [EncoderBench.self, DecoderBench.self, EndToEndBench.self])
}

/// `caption bench encoder`: the VGG16 conv base at batch 1 and 4.
struct EncoderBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Time the VGG16 encoder (conv base) at batch 1 and batch 4.",
        discussion: """
        Prints a table: stage, batch, runs, ms per image, images/s and GFLOP/s (30.7 GFLOP per \
        224 × 224 image), with this machine's sgemm GFLOP/s on all cores measured in the same run \
        as the reference peak. Pass ONNX Runtime's img/s on the same conv base \
        (bench/onnxruntime_encoder.py prints it) with --onnxruntime to get the ratio.

        Example:
          caption bench encoder --runs 5 --onnxruntime 5.2
        """)

    @Option(help: "Timed runs per batch size (after one warm-up run).")
    var runs = 5

    @Option(help: ArgumentHelp("Input side in pixels.", valueName: "pixels"))
    var size = VGG16Layout.inputSize

    @Option(help: ArgumentHelp("ONNX Runtime's img/s at batch 1 on this machine, to print the ratio.", valueName: "img/s"))
    var onnxruntime: Double?

    @Flag(help: "Also print each layer's time and GFLOP/s at batch 1.")
    var layers = false

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        guard (1...10_000).contains(runs) else { throw ValidationError("--runs: must be in 1…10000, got \(runs)") }
        guard (32...2048).contains(size) else { throw ValidationError("--size: must be in 32…2048 (five 2×2 pools), got \(size)") }
        if let onnxruntime, !(onnxruntime > 0 && onnxruntime < 1e6) {
            throw ValidationError("--onnxruntime: must be a positive rate in img/s, got \(onnxruntime)")
        }
    }

    func run() throws {
        let encoder = try ModelFiles.encoder(imageOptions.weights)
        let flopsPerImage = 2 * Double(VGG16Layout.multiplyAdds(size: size))
        var table = BenchTable(title: "caption bench encoder: VGG16 conv base, \(size)×\(size), \(Parallel.workers) cores, "
                               + String(format: "%.1f GFLOP/image", flopsPerImage / 1e9))
        table.add(SgemmPeak.measure())

        var random = SplitMix64(seed: 1)
        let input = Tensor(shape: [size, size, 3], data: (0..<(size * size * 3)).map { _ in Float(random.nextUnit() * 255 - 128) })
        var batch1: Double = 0
        for batch in [1, 4] {
            let inputs = [Tensor](repeating: input, count: batch)
            _ = encoder.encode(batch: inputs)
            let seconds = BenchTable.time(runs: runs) { _ = encoder.encode(batch: inputs) }
            let perImage = seconds / Double(batch)
            if batch == 1 { batch1 = 1 / perImage }
            table.add(stage: "encoder", batch: "\(batch)", runs: runs, msPerRun: perImage * 1000,
                      perSecond: 1 / perImage, gflops: flopsPerImage / perImage / 1e9)
        }
        if let onnxruntime {
            table.add(stage: "onnxruntime (given)", batch: "1", runs: nil, msPerRun: 1000 / onnxruntime,
                      perSecond: onnxruntime, gflops: flopsPerImage * onnxruntime / 1e9)
            table.footer.append(String(format: "encoder / onnxruntime at batch 1: %.2f×", batch1 / onnxruntime))
        }
        emit(table)
        if layers { emit(LayerProfile.measure(encoder, input: input, runs: runs)) }
    }
}
