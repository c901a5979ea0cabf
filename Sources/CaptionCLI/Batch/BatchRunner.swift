import Batch
import Encoder
import Weights
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
struct BatchRunner {
    /// Photos a batch holds unless told otherwise: 4 a core, so each core's beam search steps
    /// 4 photos in lockstep (8 a batch on 2 cores: 3.67 photos/s on Flickr8k dev against 3.33
    /// with 2 a core).
    static var defaultBatchSize: Int { 4 * Parallel.workers }

    let pipeline: CaptionPipeline
    let maxPixels: Int
    let batchSize: Int
    let jobs: Int
    /// Longest side of the report's thumbnails; nil when no report is wanted.
    let thumbnailSide: Int?

    /// What one run did.
    struct Outcome {
        /// Records written by this run, in writing order (kept only when asked for).
        var records: [BatchRecord] = []
        var captioned = 0
        /// This run's failures and the kind of each ("corrupt", "unreadable"…).
        var failures: [(record: BatchRecord, kind: String)] = []
        var thumbnails: [String: [UInt8]] = [:]
        var interrupted = false
    }

    /// A photo ready for the encoder, or why it is not.
    private struct Prepared {
        var path: String
        var input: Tensor?
        var failure: (message: String, kind: String)?
        var thumbnail: [UInt8]?
    }

    func run(_ entries: [ImageFileList.Entry], into output: ResultFile, keepRecords: Bool,
             progress: ProgressBar) throws(ResultFileError) -> Outcome {
        var outcome = Outcome()
        let queue = WorkQueue<Prepared>(capacity: 2 * batchSize, producers: jobs)
        let convention = pipeline.encoder.convention
        let (maxPixels, thumbnailSide) = (maxPixels, thumbnailSide)
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
            // Each core captions a contiguous share of the batch, its beams searched in lockstep.
            let paths = good.map(\.path)
            let shares = min(Parallel.workers, good.count)
            var records = [BatchRecord?](repeating: nil, count: good.count)
            records.withUnsafeMutableBufferPointer { buffer in
                let target = UncheckedSendable(buffer)
                Parallel.forEach(shares) { share in
                    let range = (share * paths.count / shares)..<((share + 1) * paths.count / shares)
                    // Seeded by the path, so --sample gives a file the same caption in any batch order.
                    let found = pipeline.records(images: Array(paths[range]), outputs: Array(outputs[range])) {
                        pipeline.decoding.seed ^ Shard.hash(paths[range.lowerBound + $0])
                    }
                    for (i, record) in zip(range, found) { target.value[i] = record }
                }
            }
            var written: [BatchRecord] = []
            var goodIndex = 0
            for item in batch {
                if let failure = item.failure {
                    let record = BatchRecord(image: item.path, error: failure.message)
                    outcome.failures.append((record, failure.kind))
                    written.append(record)
                } else {
                    written.append(records[goodIndex]!)
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
