import Foundation
import Testing

/// Self-critical training end to end: a captioner half-trained on the synthetic shapes is
/// fine-tuned on its own samples, rewarded by CIDEr-D, with either baseline. The samples' mean
/// reward must rise, no figure may be NaN, and the run keeps its start as epoch 0.
@Suite(.serialized) struct SelfCriticalTrainingTests {
    /// The per-epoch rows of a run's report.json: epoch and mean sample reward (NaN for the start).
    static func epochRewards(_ run: String) throws -> [(epoch: Int, reward: Double, ciderD: Double)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: run).appendingPathComponent("report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let epochs = try #require(report["epochs"] as? [[String: Any]])
        return epochs.map { epoch in
            let reward = (epoch["trainLoss"] as? Double) ?? .nan   // the start's NaN is written as a string
            let figures = epoch["figures"] as? [[String: Any]] ?? []
            let cider = figures.first { $0["plot"] as? String == "CIDEr-D (%)" }?["value"] as? Double ?? .nan
            return (epoch["epoch"] as? Int ?? -1, reward, cider)
        }
    }

    @Test(arguments: ["others", "greedy"])
    func raisesTheMeanReward(baseline: String) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticShapes.write(to: dir, perCombination: 3)
        let start = dir.appendingPathComponent("start").path, cache = dir.appendingPathComponent("features.cache").path
        let common = ["--data", dir.path, "--cache", cache, "--min-count", "1", "--learning-rate-decay", "1", "--quiet", "--seed", "3"]
        let pretraining = try CLI.run(["train", "captioner", "--out", start, "--epochs", "4", "--batch-size", "9",
                                       "--embedding-size", "64", "--hidden-size", "64", "--dropout", "0",
                                       "--learning-rate", "0.003"] + common)
        #expect(pretraining.status == 0, "\(pretraining.stderr)")

        let run = dir.appendingPathComponent("scst").path
        let arguments = ["train", "captioner", "--self-critical", "--from", start, "--out", run, "--baseline", baseline,
                         "--epochs", "8", "--batch-size", "9", "--learning-rate", "0.002"] + common
        let training = try CLI.run(arguments)
        #expect(training.status == 0, "\(training.stderr)")
        #expect(training.stdout.contains("start ") && training.stdout.contains("epoch 8 "), "\(training.stdout)")
        #expect(!training.stdout.lowercased().contains("nan"), "\(training.stdout)")

        let epochs = try Self.epochRewards(run)
        #expect(epochs.map(\.epoch) == Array(0...8))
        #expect(epochs[0].reward.isNaN, "the start is scored, not trained")
        #expect(epochs.allSatisfy { $0.ciderD.isFinite })
        let first = epochs[1].reward, last = (epochs[7].reward + epochs[8].reward) / 2
        // 4 epochs of cross-entropy leave the samples' reward near 0.5; fine-tuning takes it past 0.8.
        #expect(last > first + 0.2, "mean sample reward \(first) → \(last)\n\(training.stdout)")
        let page = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(page.contains("Mean reward of the samples (CIDEr-D)"))

        // A finished run resumes to nothing more.
        let resumed = try CLI.run(arguments + ["--resume"])
        #expect(resumed.status == 0 && !resumed.stdout.contains("epoch 1 "), "\(resumed.stdout)\(resumed.stderr)")
    }
}
