import ArgumentParser
import Application
import Captioning
import Encoder
import Foundation
import ImageDecoding
import Tensors
import Support

/// `caption bench end-to-end`: one JPEG from file to caption, cold and warm; or, with --dir, a
/// whole folder through `caption batch`'s pipeline.
struct EndToEndBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end-to-end",
        abstract: "Time captioning one photo (cold and warm), or a folder as `caption batch` does.",
        discussion: """
        Cold: read the VGG16 and captioner weights, then read, decode, resize, encode and \
        caption the photo with the default decoding (as `caption photo.jpg` does) — what one \
        `caption photo.jpg` costs after process start. \
        Warm: the same photo again with the models loaded, averaged over --runs.

        With --dir: every photo under the folder goes through `caption batch`'s pipeline (decode \
        and resize on a thread, encode a batch at a time, beam search, write JSONL to a temporary \
        file), and the table gives its images/s beside the encoder alone on the same batch size, \
        ONNX Runtime's figure if given, and the process's peak memory (RSS).

        Examples:
          caption bench end-to-end examples/astronaut.jpg
          caption bench end-to-end --dir dev-photos/ --onnxruntime 6.8
        """)

    @Argument(help: ArgumentHelp("The photo to caption.", valueName: "image"))
    var image = "examples/astronaut.jpg"

    @Option(help: ArgumentHelp("Caption every photo under this folder instead, as `caption batch` does.", valueName: "dir"))
    var dir: String?

    @Option(help: "Warm runs to average.")
    var runs = 10

    @Option(help: ArgumentHelp("With --dir: ONNX Runtime's encoder img/s on this machine (bench/onnxruntime_encoder.py), to print the ratio.", valueName: "img/s"))
    var onnxruntime: Double?


    @OptionGroup var captioner: CaptionerOptions

    func validate() throws {
        guard (1...10_000).contains(runs) else { throw ValidationError("--runs: must be in 1…10000, got \(runs)") }
        if let onnxruntime, !(onnxruntime > 0 && onnxruntime < 1e6) {
            throw ValidationError("--onnxruntime: must be a positive rate in img/s, got \(onnxruntime)")
        }
    }

    func run() throws {
        if let dir { return try runFolder(dir) }
        var caption = ""
        let start = DispatchTime.now().uptimeNanoseconds
        let pipeline = try captioner.pipeline()
        let loaded = DispatchTime.now().uptimeNanoseconds
        func captionOnce() throws(CaptionError) {
            let photo = try ImageSource.decode(image, maxPixels: captioner.image.maxPixels)
            caption = pipeline.record(image: image, photo: pipeline.encoder.encode(photo).features).caption
        }
        try captionOnce()
        let cold = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        let loading = Double(loaded - start) / 1e6
        let warm = BenchTable.time(runs: runs) { try? captionOnce() } * 1000
        var table = BenchTable(title: "caption bench end-to-end: \(image) → \"\(caption)\" (\(Parallel.workers) cores)")
        table.add(stage: "cold (load weights + caption)", batch: "1", runs: 1, msPerRun: cold, perSecond: nil, gflops: nil)
        table.add(stage: "  of which loading weights", batch: "-", runs: 1, msPerRun: loading, perSecond: nil, gflops: nil)
        table.add(stage: "warm (decode, encode, beam \(pipeline.policy.beamSize)\(pipeline.reranks ? ", rerank" : ""))", batch: "1", runs: runs, msPerRun: warm, perSecond: 1000 / warm, gflops: nil)
        emit(table)
    }

    /// The batch pipeline over a folder, then the encoder alone at the same batch size.
    private func runFolder(_ dir: String) throws {
        let files: ImageFileList
        do {
            files = try ImageFileList.walk(dir)
        } catch {
            throw CaptionError(.usage, nil, "\(error)")
        }
        let pipeline = try captioner.pipeline(confidence: true)
        let batchSize = BatchRunner.defaultBatchSize
        let runner = BatchRunner(pipeline: pipeline, maxPixels: captioner.image.maxPixels, batchSize: batchSize, jobs: 1,
                                 thumbnailSide: nil)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("caption-bench-\(getpid()).jsonl").path
        defer { unlink(scratch) }
        let output = try ResultFile(path: scratch, format: .jsonl, force: true)
        let start = DispatchTime.now().uptimeNanoseconds
        let outcome = try runner.run(files.entries, into: output, keepRecords: false,
                                     progress: ProgressBar(total: files.entries.count))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let images = outcome.captioned + outcome.failures.count

        // The encoder alone on real inputs, a batch at a time, as the pipeline calls it.
        let sample = files.entries.prefix(batchSize).compactMap { entry in
            (try? ImageDecoder.decode(contentsOf: URL(fileURLWithPath: entry.path), maxPixels: captioner.image.maxPixels))
                .map { Preprocess.tensor(from: $0, convention: pipeline.encoder.convention) }
        }
        let encoderRuns = max(1, min(runs, 5))
        _ = pipeline.encoder.encode(batch: sample)
        let encoderSeconds = BenchTable.time(runs: encoderRuns) { _ = pipeline.encoder.encode(batch: sample) }
        let encoderRate = Double(sample.count) / encoderSeconds

        var table = BenchTable(title: "caption bench end-to-end --dir \(dir): \(images) photos (\(outcome.failures.count) failed), "
                               + "beam \(pipeline.policy.beamSize), batch \(batchSize), \(Parallel.workers) cores")
        table.add(stage: "batch: decode, encode, beam search, write", batch: "\(batchSize)", runs: 1,
                  msPerRun: seconds * 1000 / Double(max(images, 1)), perSecond: Double(images) / seconds, gflops: nil)
        table.add(stage: "encoder alone", batch: "\(sample.count)", runs: encoderRuns, msPerRun: 1000 / encoderRate,
                  perSecond: encoderRate, gflops: nil)
        if let onnxruntime {
            table.add(stage: "onnxruntime encoder (given)", batch: "1", runs: nil, msPerRun: 1000 / onnxruntime,
                      perSecond: onnxruntime, gflops: nil)
            table.footer.append(String(format: "batch / onnxruntime encoder: %.2f×", Double(images) / seconds / onnxruntime))
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        table.footer.append(String(format: "peak RSS: %.0f MB; wall time %.1f s", Double(usage.ru_maxrss) / 1024, seconds))
        emit(table)
    }
}
