import Encoder
import Formats
import Support
import Foundation
import ImageDecoding
import Tensors

/// Captions a list of files into a ``ResultFile`` as a pipeline: `jobs` threads read, decode,
/// resize and normalize photos into a small bounded queue while the main thread encodes them
/// `batchSize` at a time (one photo per core, no per-layer synchronization), beam-searches
/// their captions (each core a share of the batch, in lockstep) and appends each result as a
/// whole, flushed line.
///
/// Memory is bounded by the queue (2 × batchSize inputs of 224 × 224 × 3 floats), not by the
/// number of files. Ctrl-C is polled after every batch: the lines written stay whole.
public struct BatchRunner {
    /// Photos a batch holds unless told otherwise: 4 a core, so each core's beam search steps
    /// 4 photos in lockstep (8 a batch on 2 cores: 3.67 photos/s on Flickr8k dev against 3.33
    /// with 2 a core).
    public static var defaultBatchSize: Int { 4 * Parallel.workers }

    public let pipeline: CaptionPipeline
    public let maxPixels: Int
    public let batchSize: Int
    public let jobs: Int
    /// Longest side of the report's thumbnails; nil when no report is wanted.
    public let thumbnailSide: Int?

    public init(pipeline: CaptionPipeline, maxPixels: Int, batchSize: Int, jobs: Int, thumbnailSide: Int?) {
        self.pipeline = pipeline
        self.maxPixels = maxPixels
        self.batchSize = batchSize
        self.jobs = jobs
        self.thumbnailSide = thumbnailSide
    }

    /// What one run did.
    public struct Outcome {
        /// Records written by this run, in writing order (kept only when asked for).
        public var records: [BatchRecord] = []
        public var captioned = 0
        /// This run's failures and the kind of each ("corrupt", "unreadable"…).
        public var failures: [(record: BatchRecord, kind: String)] = []
        public var thumbnails: [String: [UInt8]] = [:]
        public var interrupted = false

        public init() {}
    }

    /// A photo ready for the encoder, or why it is not.
    private struct Prepared {
        public var path: String
        public var input: Tensor?
        public var failure: (message: String, kind: String)?
        public var thumbnail: [UInt8]?
    }

    public func run(_ entries: [ImageFileList.Entry], into output: ResultFile, keepRecords: Bool,
             progress: ProgressBar) throws(ResultFileError) -> Outcome {
        var outcome = Outcome()
        let queue = WorkQueue<Prepared>(capacity: 2 * batchSize, producers: jobs)
        let convention = pipeline.encoder.convention
        let (maxPixels, thumbnailSide, jobs) = (maxPixels, thumbnailSide, jobs)
        let shared = UncheckedSendable(entries)
        for job in 0..<jobs {
            // Job j takes every jobs-th file: no shared counter, and with one job the order is the list's.
            Thread.detachNewThread {
                defer { queue.finish() }
                for index in stride(from: job, to: shared.value.count, by: jobs) {
                    let prepared = Self.prepare(shared.value[index], maxPixels: maxPixels, convention: convention,
                                                thumbnailSide: thumbnailSide)
                    if !queue.put(prepared) { return }
                }
            }
        }
        defer { queue.cancel() }
        while !Interruption.requested {
            let batch = queue.take(upTo: batchSize)
            if batch.isEmpty { break }
            let good = batch.filter { $0.input != nil }
            let outputs = pipeline.encoder.encode(batch: good.map { $0.input! })
            let records = pipeline.records(images: good.map(\.path), features: outputs.map(\.features))
            var written: [BatchRecord] = []
            var goodIndex = 0
            for item in batch {
                if let failure = item.failure {
                    let record = BatchRecord(image: item.path, error: failure.message)
                    outcome.failures.append((record, failure.kind))
                    written.append(record)
                } else {
                    written.append(records[goodIndex])
                    goodIndex += 1
                    outcome.captioned += 1
                    if let thumbnail = item.thumbnail { outcome.thumbnails[item.path] = thumbnail }
                }
            }
            try output.append(written)
            if keepRecords { outcome.records += written }
            progress.advance(by: batch.count, failed: batch.count - good.count)
        }
        outcome.interrupted = Interruption.requested
        return outcome
    }

    private static func prepare(_ entry: ImageFileList.Entry, maxPixels: Int, convention: InputConvention,
                                thumbnailSide: Int?) -> Prepared {
        if let problem = entry.problem {
            return Prepared(path: entry.path, failure: (problem, "unreadable"))
        }
        do {
            let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: entry.path), maxPixels: maxPixels)
            let thumbnail = thumbnailSide.flatMap { try? JPEGEncoder.thumbnail(image, side: $0) }
            return Prepared(path: entry.path, input: Preprocess.tensor(from: image, convention: convention), thumbnail: thumbnail)
        } catch {
            return Prepared(path: entry.path, failure: ("\(error)", error.kind))
        }
    }
}
