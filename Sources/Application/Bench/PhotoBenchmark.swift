import Foundation
import Tensors

/// `caption bench end-to-end IMAGE`: what one `caption photo.jpg` costs after process start
/// (cold: load the models, then read, decode, resize, encode and caption), and the same photo
/// again with the models loaded (warm).
public enum PhotoBenchmark {
    /// Times `load` and one cold caption of `image`, then `runs` warm ones, as a table.
    public static func table(image: String, maxPixels: Int, runs: Int,
                             load: () throws -> CaptionPipeline) throws -> BenchTable {
        var caption = ""
        let start = DispatchTime.now().uptimeNanoseconds
        let pipeline = try load()
        let loaded = DispatchTime.now().uptimeNanoseconds
        func captionOnce() throws(CaptionError) {
            let photo = try ImageSource.decode(image, maxPixels: maxPixels)
            caption = pipeline.record(image: image, photo: pipeline.encoder.encode(photo).features).caption
        }
        try captionOnce()
        let cold = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        let loading = Double(loaded - start) / 1e6
        let warm = BenchTable.time(runs: runs) { try? captionOnce() } * 1000
        var table = BenchTable(title: "caption bench end-to-end: \(image) → \"\(caption)\" (\(Parallel.workers) cores)")
        table.add(stage: "cold (load weights + caption)", batch: "1", runs: 1, msPerRun: cold, perSecond: nil, gflops: nil)
        table.add(stage: "  of which loading weights (two threads)", batch: "-", runs: 1, msPerRun: loading, perSecond: nil, gflops: nil)
        for (model, seconds) in pipeline.loadingSeconds.sorted(by: { $0.key < $1.key }) {
            table.add(stage: "    \(model)", batch: "-", runs: 1, msPerRun: seconds * 1000, perSecond: nil, gflops: nil)
        }
        let decoding = "beam \(pipeline.policy.beamSize)\(pipeline.reranks ? ", rerank" : "")"
        table.add(stage: "warm (decode, encode, \(decoding))", batch: "1", runs: runs, msPerRun: warm, perSecond: 1000 / warm, gflops: nil)
        return table
    }
}
