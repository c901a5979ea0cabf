import Foundation
import Support

/// One `caption batch` run, resuming: the photos its results file does not hold yet are
/// captioned into it (the models are loaded only when some remain), the file is finished, and
/// the summary and, when asked, the report page are made from the earlier and the new records.
public struct BatchJob {
    public var files: ImageFileList
    public var output: ResultFile
    /// `--shard K/N` as given, for the summary.
    public var shard: String?
    /// The report page's title; nil when no report is wanted.
    public var reportTitle: String?
    public var maxPixels: Int
    public var batchSize: Int
    public var jobs: Int
    public var quiet: Bool

    public init(files: ImageFileList, output: ResultFile, shard: String?, reportTitle: String?, maxPixels: Int,
                batchSize: Int, jobs: Int, quiet: Bool) {
        (self.files, self.output, self.shard, self.reportTitle) = (files, output, shard, reportTitle)
        (self.maxPixels, self.batchSize, self.jobs, self.quiet) = (maxPixels, batchSize, jobs, quiet)
    }

    /// What the run did. A write failure does not throw: the summary of what was done still
    /// gets printed.
    public struct Result {
        public var summary: BatchSummary
        public var report: BatchReport?
        public var writeError: ResultFileError?
        public var interrupted: Bool
    }

    /// Captions the remaining photos with the pipeline `load` gives (called only if some remain).
    public func run(loading load: () throws(CaptionError) -> CaptionPipeline) throws(CaptionError) -> Result {
        let start = Date()
        let selected = Set(files.entries.map(\.path))
        let earlier = output.earlier.filter { selected.contains($0.image) }
        let done = Set(earlier.map(\.image))
        let pending = files.entries.filter { !done.contains($0.path) }
        var outcome = BatchRunner.Outcome()
        var writeError: ResultFileError?
        if !pending.isEmpty {
            let runner = BatchRunner(pipeline: try load(), maxPixels: maxPixels, batchSize: batchSize, jobs: jobs,
                                     thumbnailSide: reportTitle == nil ? nil : 128)
            Interruption.install()
            let progress = ProgressBar(total: pending.count, quiet: quiet)
            do throws(ResultFileError) {
                outcome = try runner.run(pending, into: output, keepRecords: reportTitle != nil, progress: progress)
            } catch {
                writeError = error
            }
            progress.finish()
        }
        if writeError == nil {
            do throws(ResultFileError) { try output.finish() } catch { writeError = error }
        }
        let summary = BatchSummary(files: files, earlier: earlier, outcome: outcome, pending: pending.count,
                                   output: output.path, shard: shard, seconds: Date().timeIntervalSince(start))
        var report: BatchReport?
        if let reportTitle, writeError == nil {
            let records = output.earlier + outcome.records
            report = BatchReport(title: reportTitle, summary: summary.lines, records: records,
                                 thumbnails: BatchReport.thumbnails(of: records, made: outcome.thumbnails, maxPixels: maxPixels))
        }
        return Result(summary: summary, report: report, writeError: writeError, interrupted: outcome.interrupted)
    }
}
