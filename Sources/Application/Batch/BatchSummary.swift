import Foundation
import Support

/// The end-of-batch account on stderr: what was captioned, skipped and failed (by kind, then
/// each failed file as a `caption: error:` line), and the wall time.
public struct BatchSummary {
    public let files: ImageFileList
    public let earlier: [BatchRecord]
    public let outcome: BatchRunner.Outcome
    public let pending: Int
    public let output: String
    public let shard: String?
    public let seconds: Double

    public init(files: ImageFileList, earlier: [BatchRecord], outcome: BatchRunner.Outcome, pending: Int, output: String,
                shard: String?, seconds: Double) {
        self.files = files
        self.earlier = earlier
        self.outcome = outcome
        self.pending = pending
        self.output = output
        self.shard = shard
        self.seconds = seconds
    }

    public var failedEarlier: [BatchRecord] { earlier.filter(\.failed) }
    public var failedCount: Int { outcome.failures.count + failedEarlier.count }

    public var lines: [String] {
        let attempted = outcome.captioned + outcome.failures.count
        let rate = seconds > 0 ? String(format: "%.1f", Double(attempted) / seconds) : "-"
        var lines = ["\(files.entries.count) files\(shard.map { " (shard \($0))" } ?? ""): \(outcome.captioned) captioned, "
                     + "\(earlier.count) already in \(output), \(outcome.failures.count) failed, "
                     + "in \(String(format: "%.1f", seconds)) s (\(rate) img/s)"]
        var kinds: [String: Int] = [:]
        for failure in outcome.failures { kinds[failure.kind, default: 0] += 1 }
        if !kinds.isEmpty {
            lines.append("failed: " + kinds.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        if !failedEarlier.isEmpty {
            lines.append("\(failedEarlier.count) failed in an earlier run (still listed in \(output); --force retries them)")
        }
        let skipped = [(files.skippedNotImages, "not an image", "not images"), (files.skippedHidden, "hidden", "hidden")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.0 == 1 ? $0.1 : $0.2)" }
        if !skipped.isEmpty {
            lines.append("skipped files: " + skipped.joined(separator: ", "))
        }
        if outcome.interrupted {
            let left = pending - attempted
            lines.append("interrupted: \(left) files not done; rerun the same command to finish")
        }
        return lines
    }

    /// The summary as `caption batch` prints it on stderr: its lines, then one
    /// `caption: error: <file>: <reason>` line per failed file.
    public var text: String {
        var text = lines.map { "caption batch: \(OneLine.escaped($0))\n" }.joined()
        for record in outcome.failures.map(\.record) + failedEarlier {
            text += "caption: error: \(CaptionError.input(record.image, record.error ?? "").description)\n"
        }
        return text
    }
}
