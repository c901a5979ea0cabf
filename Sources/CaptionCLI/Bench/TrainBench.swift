import Application
import Captioning
import ArgumentParser
import Learning

/// `caption bench train`: the captioner's training step, extrapolated to a Flickr8k epoch.
struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Time the captioner's training step and extrapolate a Flickr8k epoch.",
        discussion: """
        The trainer's own step on synthetic batches of Flickr8k's shapes, after a warm-up step. \
        --pytorch takes bench/pytorch_train.py's seconds per epoch for the ratio.

        Example:
          caption bench train --steps 20 --phases --pytorch 147
        """)

    @Option(help: "Timed training steps.") var steps = 10
    @Option(help: ArgumentHelp("PyTorch's seconds per epoch, for the ratio.", valueName: "seconds")) var pytorch: Double?
    @Flag(help: "Also time forward, backward, clipping and optimizer.") var phases = false
    @Option(help: "The decoder trained: show-tell or attention.") var decoder: CaptionModel.DecoderKind = .showTell

    func validate() throws {
        guard (1...10_000).contains(steps) else { throw ValidationError("--steps: must be in 1…10000, got \(steps)") }
        if let pytorch, !(pytorch > 0) { throw ValidationError("--pytorch: must be positive seconds, got \(pytorch)") }
    }

    func run() throws {
        let benchmark = CaptionTrainingBenchmark(decoder: decoder), result = benchmark.run(steps: steps)
        var table = BenchTable(title: benchmark.title, item: "step", rateItem: "cap")
        table.add(SgemmPeak.measure())
        for row in result.rows(phases: phases) {
            table.add(stage: row.stage, batch: "100", runs: steps, msPerRun: row.seconds * 1000, perSecond: 100 / row.seconds, gflops: row.gflops)
        }
        table.footer = [result.summary(pytorch: pytorch)]
        emit(table)
    }
}
