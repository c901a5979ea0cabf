import ArgumentParser
import Application
import Foundation

/// `caption batch merge OUT… --out ALL`: joins the results of `--shard K/N` runs.
struct BatchMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the result files of sharded batches, checking them.",
        discussion: """
        Each input must be a finished result file of one format (JSONL, CSV or COCO, recognized \
        from its content), and no image may appear in two of them (two shards run with the same \
        K). The merged file, in the same format, is sorted by image path and written atomically. \
        Prints one line per input with its count, then the total.

        Example:
          caption batch merge shards/part-*.jsonl --out all.jsonl
        """)

    @Argument(help: ArgumentHelp("The shards' result files.", valueName: "file"))
    var files: [String]

    @Option(help: ArgumentHelp("Where to write the merged results.", valueName: "file"))
    var out: String

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give the shards' result files to merge") }
        guard !files.contains(out) else { throw ValidationError("--out \(out) is also an input; write the merge elsewhere") }
    }

    func run() throws {
        let merge: ResultMerge
        do {
            merge = try ResultMerge(files: files)
        } catch {
            throw CaptionError(.input, nil, "\(error)")
        }
        try OutputFile.write(out, merge.text)
        for (file, count) in zip(files, merge.counts) { emit("\(file)\t\(count)") }
        let failed = merge.records.filter(\.failed).count
        emit("merged \(merge.records.count) images (\(failed) failed) from \(files.count) files into \(out) (\(merge.format.rawValue))")
    }
}
