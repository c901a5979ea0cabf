import Application
import ArgumentParser
import Datasets
import Foundation

/// `caption features merge PART… --out ALL`: joins the feature caches of `--shard K/N` runs
/// into the one cache `caption train … --cache` reads. The checks are `FeatureCacheMerge`'s.
struct FeaturesMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the feature caches of sharded runs into one, checking them.",
        discussion: """
        Every part must be a whole feature cache (one cut short by an interrupted run is \
        refused: rerun its shard), and all must come from the same encoder weights. A photo in \
        two parts (the same bytes at two paths) is kept once when its features agree; when they \
        differ the merge stops. The output is written atomically, never over an input. Prints \
        one line per part with its count of photos, then the total.

        Examples:
          caption features merge features/part-*.features --out all.features
          caption train captioner --data dataset_coco.json --cache all.features
        """)

    @Argument(help: ArgumentHelp("The shards' feature caches.", valueName: "file"))
    var parts: [String] = []

    @Option(help: ArgumentHelp("Where to write the merged cache (a new file, or one to replace; never an input).", valueName: "file"))
    var out: String

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("give the shards' feature caches to merge") }
    }

    func run() throws {
        let merge: FeatureCacheMerge
        do {
            merge = try FeatureCacheMerge(parts: parts, output: out)
        } catch {
            // The error's text already names the file: `<file>: <reason>`.
            if case .outputIsAnInput = error { throw CaptionError(.usage, nil, error.description) }
            throw CaptionError(.input, nil, error.description)
        }
        merge.report(parts: parts, output: out).forEach(emit)
    }
}
