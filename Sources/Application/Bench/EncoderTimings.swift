import Encoder
import Foundation
import Tensors

/// What `caption bench encoder` times: the VGG16 conv base at batch 1 and 4 on one random
/// photo-sized input, beside this machine's sgemm peak and, when given, ONNX Runtime's rates.
public enum EncoderTimings {
    /// The table, and the input it timed (for the per-layer profile). `onnxruntime`: img/s at
    /// batch 1, and optionally 4.
    public static func measure(_ encoder: VGGEncoder, size: Int, runs: Int, onnxruntime: [Double]) -> (BenchTable, Tensor) {
        let flopsPerImage = 2 * Double(VGG16Layout.multiplyAdds(size: size))
        var table = BenchTable(title: "caption bench encoder: VGG16 conv base, \(size)×\(size), \(Parallel.workers) cores, "
                               + String(format: "%.1f GFLOP/image", flopsPerImage / 1e9))
        table.add(SgemmPeak.measure())
        var random = SplitMix64(seed: 1)
        let input = Tensor(shape: [size, size, 3], data: (0..<(size * size * 3)).map { _ in Float(random.nextUnit() * 255 - 128) })
        for (index, batch) in [1, 4].enumerated() {
            let inputs = [Tensor](repeating: input, count: batch)
            _ = encoder.encode(batch: inputs)
            let seconds = BenchTable.time(runs: runs) { _ = encoder.encode(batch: inputs) }
            let perImage = seconds / Double(batch)
            table.add(stage: "encoder", batch: "\(batch)", runs: runs, msPerRun: perImage * 1000,
                      perSecond: 1 / perImage, gflops: flopsPerImage / perImage / 1e9)
            guard index < onnxruntime.count else { continue }
            let reference = onnxruntime[index]
            table.add(stage: "onnxruntime (given)", batch: "\(batch)", runs: nil, msPerRun: 1000 / reference,
                      perSecond: reference, gflops: flopsPerImage * reference / 1e9)
            table.footer.append(String(format: "encoder / onnxruntime at batch %d: %.2f×", batch, 1 / perImage / reference))
        }
        return (table, input)
    }
}
