import Encoder
import Foundation
import ImageDecoding
import Support
import Tensors

/// `caption bench end-to-end --dir`: every photo of a folder through `caption batch`'s pipeline
/// (`BatchRunner`, results to a scratch file), timed, and the encoder alone on one batch of the
/// same photos, as the pipeline calls it.
public enum FolderBenchmark {
    public struct Figures {
        /// Photos attempted, and how many of them failed.
        public var photos: Int, failed: Int
        /// Wall time of the whole batch run.
        public var seconds: Double
        public var batchSize: Int
        /// The encoder alone: photos in its batch, runs timed, photos a second.
        public var encoderBatch: Int, encoderRuns: Int, encoderRate: Double
        /// The process's peak resident memory so far.
        public var peakRSSMegabytes: Double

        /// The benchmark's table: the batch run and the encoder alone per photo, ONNX Runtime's
        /// encoder rate when given (`onnxruntime`, img/s) with the ratio, and the peak memory.
        public func table(folder: String, beamSize: Int, onnxruntime: Double?) -> BenchTable {
            let (count, batch) = (Double(photos), "\(batchSize)")
            var table = BenchTable(title: "caption bench end-to-end --dir \(folder): \(photos) photos (\(failed) failed), "
                                   + "beam \(beamSize), batch \(batch), \(Parallel.workers) cores")
            table.add(stage: "batch: decode, encode, beam search, write", batch: batch, runs: 1,
                      msPerRun: seconds * 1000 / max(count, 1), perSecond: count / seconds, gflops: nil)
            table.add(stage: "encoder alone", batch: "\(encoderBatch)", runs: encoderRuns,
                      msPerRun: 1000 / encoderRate, perSecond: encoderRate, gflops: nil)
            if let onnxruntime {
                table.add(stage: "onnxruntime encoder (given)", batch: "1", runs: nil, msPerRun: 1000 / onnxruntime,
                          perSecond: onnxruntime, gflops: nil)
                table.footer.append(String(format: "batch / onnxruntime encoder: %.2f×", count / seconds / onnxruntime))
            }
            table.footer.append(String(format: "peak RSS: %.0f MB; wall time %.1f s", peakRSSMegabytes, seconds))
            return table
        }
    }

    public static func run(folder: String, pipeline: CaptionPipeline, maxPixels: Int, encoderRuns: Int) throws(CaptionError) -> Figures {
        let files: ImageFileList
        do {
            files = try ImageFileList.walk(folder)
        } catch {
            throw CaptionError(.usage, nil, "\(error)")
        }
        let batchSize = BatchRunner.defaultBatchSize
        let runner = BatchRunner(pipeline: pipeline, maxPixels: maxPixels, batchSize: batchSize, jobs: 1, thumbnailSide: nil)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("caption-bench-\(getpid()).jsonl").path
        defer { unlink(scratch) }
        let outcome: BatchRunner.Outcome
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            outcome = try runner.run(files.entries, into: try ResultFile(path: scratch, format: .jsonl, force: true),
                                     keepRecords: false, progress: ProgressBar(total: files.entries.count))
        } catch {
            throw CaptionError(.input, scratch, "\(error)")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let sample = files.entries.prefix(batchSize).compactMap { entry in
            (try? ImageDecoder.decode(contentsOf: URL(fileURLWithPath: entry.path), maxPixels: maxPixels))
                .map { Preprocess.tensor(from: $0, convention: pipeline.encoder.convention) }
        }
        _ = pipeline.encoder.encode(batch: sample)  // warm-up
        let encoderStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<encoderRuns { _ = pipeline.encoder.encode(batch: sample) }
        let encoderSeconds = Double(DispatchTime.now().uptimeNanoseconds - encoderStart) / 1e9 / Double(encoderRuns)

        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Figures(photos: outcome.captioned + outcome.failures.count, failed: outcome.failures.count, seconds: seconds,
                       batchSize: batchSize, encoderBatch: sample.count, encoderRuns: encoderRuns,
                       encoderRate: Double(sample.count) / encoderSeconds, peakRSSMegabytes: Double(usage.ru_maxrss) / 1024)
    }
}
