import Foundation
import Testing

/// End to end through the CLI: a synthetic shapes dataset is encoded into a feature cache, a
/// small LSTM is trained on it, and the trained model must caption the held-back images exactly.
/// Fails if decoding, feature caching, training, the model file or beam search breaks.
@Suite(.serialized) struct TrainCaptionerTests {
    @Test func learnsToCaptionHeldBackShapes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let heldBack = try SyntheticShapes.write(to: dir, perCombination: 3)
        let run = dir.appendingPathComponent("run").path, cache = dir.appendingPathComponent("features.cache").path
        let arguments = [
            "train", "captioner", "--data", dir.path, "--out", run, "--cache", cache,
            "--epochs", "40", "--batch-size", "9", "--embedding-size", "128", "--hidden-size", "128",
            "--min-count", "1", "--dropout", "0", "--learning-rate", "0.003", "--learning-rate-decay", "1",
            "--checkpoint-every", "20", "--quiet", "--seed", "3",
        ]
        let training = try CLI.run(arguments)
        #expect(training.status == 0, "\(training.stderr)")
        #expect(training.stdout.contains("epoch 40 "), "\(training.stdout)")

        let captioned = try CLI.run(["--model", run] + heldBack.map(\.file.path))
        #expect(captioned.status == 0, "\(captioned.stderr)")
        let lines = captioned.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == heldBack.count)
        var correct = 0
        for (line, expected) in zip(lines, heldBack) {
            let want = expected.caption.lowercased().replacingOccurrences(of: ".", with: "")
            if line == want { correct += 1 }
        }
        // Every held-back combination was seen in training at other sizes and positions.
        #expect(correct >= heldBack.count - 1, "\(correct)/\(heldBack.count) correct:\n\(captioned.stdout)\ntraining:\n\(training.stdout)")

        // Resuming a finished run trains no further and keeps the model.
        let resumed = try CLI.run(arguments + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(!resumed.stdout.contains("epoch 1 "))
    }
}
