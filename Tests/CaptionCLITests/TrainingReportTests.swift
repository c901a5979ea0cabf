import Foundation
import Learning
import Testing

/// `report.html` of real training runs through the CLI, on the synthetic shapes: one `<svg>` a
/// plot, a row and a point per epoch, the run's folder name escaped, nothing loaded from
/// elsewhere, and after a resume the whole history, the same as an uninterrupted run's.
@Suite(.serialized) struct TrainingReportTests {
    /// Rows of the page's epoch table.
    static func epochRows(_ html: String) -> Int {
        guard let table = html.range(of: "<table class=\"epochs\">") else { return 0 }
        return html[table.upperBound...].components(separatedBy: "</td></tr>").count - 1
    }

    static func svgCount(_ html: String) -> Int { html.components(separatedBy: "<svg").count - 1 }

    static func expectSelfContained(_ html: String) {
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://")
                && !html.contains("src=") && !html.contains("href="))
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"60\">"))
    }

    static func page(_ run: URL) throws -> String {
        try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
    }

    @Test func captionerPageKeepsItsHistoryAcrossAResume() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticShapes.write(to: dir, perCombination: 1)
        let run = dir.appendingPathComponent("run <b>&\"'")
        let arguments = [
            "train", "captioner", "--data", dir.path, "--out", run.path, "--cache", dir.appendingPathComponent("features.cache").path,
            "--batch-size", "6", "--embedding-size", "32", "--hidden-size", "32", "--min-count", "1", "--dropout", "0",
            "--checkpoint-every", "2", "--quiet", "--seed", "3",
        ]
        let first = try CLI.run(arguments + ["--epochs", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        let html = try Self.page(run)
        #expect(Self.svgCount(html) == 4, "loss, perplexity, BLEU-4, CIDEr-D")
        #expect(Self.epochRows(html) == 2)
        #expect(html.contains("<title>captioner training: run &lt;b&gt;&amp;&quot;&#39;</title>"))
        #expect(!html.contains("<b>"))
        Self.expectSelfContained(html)

        let saved = try TrainingReport.read(from: run)
        let perEpoch = try #require(saved.epochs.first).lastIteration
        #expect(perEpoch == 3)
        #expect(saved.epochs.map(\.lastIteration) == [perEpoch, 2 * perEpoch])
        #expect(saved.loss.points.map(\.x) == (1...2 * perEpoch).map(Double.init))
        #expect(saved.epochs.allSatisfy { $0.figures.map(\.plot) == ["perplexity", "BLEU-4 (%)", "CIDEr-D (%)"] })

        // Resumed to a third epoch: the first two epochs' points stay, the third's are added.
        let resumed = try CLI.run(arguments + ["--epochs", "3", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try TrainingReport.read(from: run)
        #expect(after.epochs.map(\.epoch) == [1, 2, 3])
        #expect(Array(after.epochs.prefix(2)) == saved.epochs)
        #expect(after.loss.points.map(\.x) == (1...3 * perEpoch).map(Double.init))
        #expect(after.loss.points.prefix(2 * perEpoch).map(\.y) == saved.loss.points.map(\.y))
        #expect(Self.epochRows(try Self.page(run)) == 3)
        #expect(after.facts.contains { $0.name == "command" && $0.value.hasSuffix("--resume") })
    }

    /// An aligner run stopped after 2 epochs and resumed to 4 draws the page an uninterrupted
    /// 4-epoch run draws: the same losses and the same dev figures.
    @Test func alignerPageOfAResumedRunMatchesAnUninterruptedOne() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticShapes.write(to: dir, perCombination: 1)
        let common = [
            "train", "aligner", "--data", dir.path, "--cache", dir.appendingPathComponent("features.cache").path,
            "--batch-size", "6", "--hidden-size", "32", "--word-size", "32", "--min-count", "1",
            "--learning-rate", "0.003", "--checkpoint-every", "2", "--quiet", "--seed", "9",
        ]
        let split = dir.appendingPathComponent("split"), straight = dir.appendingPathComponent("straight")
        for arguments in [["--out", split.path, "--epochs", "2"], ["--out", split.path, "--epochs", "4", "--resume"],
                          ["--out", straight.path, "--epochs", "4"]] {
            let result = try CLI.run(common + arguments)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let resumed = try TrainingReport.read(from: split), whole = try TrainingReport.read(from: straight)
        #expect(resumed.loss.points.map(\.x) == whole.loss.points.map(\.x))
        #expect(resumed.loss.points.map(\.y) == whole.loss.points.map(\.y))
        #expect(resumed.epochs.map(\.figures) == whole.epochs.map(\.figures))
        #expect(resumed.epochs.count == 4)

        let html = try Self.page(split)
        #expect(Self.svgCount(html) == 5, "loss, annotation and search recall, mean recall, median rank")
        #expect(Self.epochRows(html) == 4)
        #expect(html.contains("<title>aligner training: split</title>"))
        Self.expectSelfContained(html)
    }
}
