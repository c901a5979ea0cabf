import ArgumentParser
import Application
import Foundation

extension ResultFormat: ExpressibleByArgument {}

/// `caption batch DIR --out FILE`: every photo under a folder, captioned into one results file.
struct BatchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Caption every photo under a folder (or in a list) into a results file.",
        discussion: """
        Photos are found by content (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, AVIF, or another \
        known image format, which gets an error line), whatever their extension, walking \
        the folder recursively in a stable (byte-sorted) order; hidden files are skipped unless \
        --hidden. Files with an image extension that cannot be read are reported, other files \
        are skipped. Symbolic links are followed, each folder once.

        Each result is one whole line, flushed to disk as its image finishes: JSONL (default) \
        {"image", "caption", "logprob", "score", "beams"…} or {"image", "error"}; CSV; or a COCO \
        results array [{"image_id", "caption", "image"}] (valid JSON once the run ends; failed \
        images are not in it). Rerunning the same command after a crash, a kill or Ctrl-C skips \
        the images already in --out and finishes the rest; --force starts over.

        --shard K/N takes a fixed 1/N of the files (by a hash of each path), so N machines can \
        share a folder; join their files with `caption batch merge`. --html writes a report \
        page. A summary goes to stderr at the end. Exit status: 0 all captioned, 1 some failed \
        (listed in the summary) or writing failed, 2 bad usage (including a folder or --out \
        that cannot be used; nothing is captioned), 130 interrupted.

        Examples:
          caption batch photos/ --out captions.jsonl
          caption batch photos/ --out captions.jsonl --html report.html
          find /data -name '*.jpg' | caption batch --list - --out captions.csv --format csv
          caption batch /data/crawl --out part-$SLURM_ARRAY_TASK_ID.jsonl --shard $SLURM_ARRAY_TASK_ID/16
        """)

    @Argument(help: ArgumentHelp("The folder to caption, walked recursively.", valueName: "dir"))
    var directory: String?

    @Option(help: ArgumentHelp("A file listing the photos, one path a line (- for stdin), instead of a folder.", valueName: "file"))
    var list: String?

    @Option(help: ArgumentHelp("The results file; rerunning with the same file resumes.", valueName: "file"))
    var out: String

    @Option(help: "Results format: jsonl, csv or coco.")
    var format: ResultFormat = .jsonl

    @Flag(help: "Discard the results already in --out and caption everything again.")
    var force = false

    @Flag(help: "Also caption hidden files and folders (names starting with a dot).")
    var hidden = false

    @Option(help: ArgumentHelp("Caption only shard K of N (1 ≤ K ≤ N), e.g. 3/8, for running on N machines.", valueName: "K/N"))
    var shard: String?

    @Option(help: ArgumentHelp("A self-contained HTML report: thumbnails, captions, n-best on click, failures first.", valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("Threads reading and decoding photos ahead of the encoder.", valueName: "n"))
    var jobs = 1

    @Option(help: ArgumentHelp("Photos encoded and captioned together; the encoder runs one photo per core, beam search a share of the batch per core. (default: 4 × cores)", valueName: "n"))
    var batchSize: Int?

    @OptionGroup var captioner: CaptionerOptions

    @Flag(help: "No progress bar on stderr (the summary is still printed).")
    var quiet = false

    func validate() throws {
        guard (directory == nil) != (list == nil) else { throw ValidationError("give a folder or --list FILE (one of them)") }
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
        }
        guard (1...16).contains(jobs) else { throw ValidationError("--jobs: must be in 1…16, got \(jobs)") }
        if let batchSize, !(1...64).contains(batchSize) { throw ValidationError("--batch-size: must be in 1…64, got \(batchSize)") }
        if let html, html == out { throw ValidationError("--html and --out must be different files") }
    }

    func run() throws {
        let files = try ImageFileList.select(folder: directory, list: list, includeHidden: hidden,
                                             shard: try shard.map { try Shard(parsing: $0) })
        let output: ResultFile
        do {
            output = try ResultFile(path: out, format: format, force: force)
        } catch {
            throw CaptionError(.usage, nil, "\(error)")
        }
        let job = BatchJob(files: files, output: output, shard: shard,
                           reportTitle: html == nil ? nil : "caption batch: \(directory ?? list ?? "")",
                           maxPixels: captioner.image.maxPixels, batchSize: batchSize ?? BatchRunner.defaultBatchSize,
                           jobs: jobs, quiet: quiet)
        let result = try job.run { () throws(CaptionError) in try captioner.pipeline(confidence: format == .jsonl) }
        if let html, let report = result.report { try OutputFile.write(html, try report.html()) }
        FileHandle.standardError.write(Data(result.summary.text.utf8))
        if let writeError = result.writeError { throw CaptionError(.input, nil, "\(writeError)") }
        if result.interrupted { throw ExitCode(130) }
        if result.summary.failedCount > 0 { throw ExitCode(1) }
    }
}
