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

/// `--text-only --chars`: the decoder as a character-level language model (char-rnn), then
/// `caption sample` writes text from it, repeatably from a seed.
@Suite struct TextOnlyTrainingTests {
    @Test func charModelLearnsTheCaptionsAndSamplesRepeatably() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticShapes.write(to: dir, perCombination: 1)
        let run = dir.appendingPathComponent("chars").path
        let training = try CLI.run([
            "train", "captioner", "--data", dir.path, "--out", run, "--text-only", "--chars",
            "--epochs", "30", "--batch-size", "6", "--embedding-size", "32", "--hidden-size", "96",
            "--min-count", "1", "--dropout", "0", "--learning-rate", "0.01", "--learning-rate-decay", "1", "--quiet",
        ])
        #expect(training.status == 0, "\(training.stderr)")
        #expect(!training.stdout.contains("BLEU"), "a language model has no captions to score")

        let a = try CLI.run(["sample", "--model", run, "--count", "5", "--temperature", "0.5", "--seed", "9"])
        let b = try CLI.run(["sample", "--model", run, "--count", "5", "--temperature", "0.5", "--seed", "9"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        let lines = a.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        // At a low temperature the samples read like the training captions.
        let shapeWords = SyntheticShapes.shapes
        let plausible = lines.filter { line in line.hasPrefix("a ") && shapeWords.contains { line.contains($0) } }
        #expect(plausible.count >= 3, "\(a.stdout)")

        // A language model cannot caption a photo, and a captioner cannot be sampled.
        let photo = CLI.fixtures.appendingPathComponent("encoder/chelsea.png").path
        let refused = try CLI.run(["--model", run, photo])
        #expect(refused.status == 1 && refused.stderr.contains("text-only"))
    }
}
