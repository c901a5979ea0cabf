/// Pooling over the spatial dimensions of an HWC feature map `[H, W, C]`.
public enum Pooling {
    /// 2×2 max pooling with stride 2 (VGG16's); an odd last row or column is dropped, as Keras's
    /// "valid" padding does. `[H, W, C]` → `[H/2, W/2, C]`.
    public static func maxPool2x2(_ input: Tensor, workers: Int = Parallel.workers) -> Tensor {
        precondition(input.shape.count == 3, "maxPool2x2 expects [H, W, C], got \(input.shape)")
        let height = input.shape[0], width = input.shape[1], channels = input.shape[2]
        let outHeight = height / 2, outWidth = width / 2
        var output = [Float](repeating: 0, count: outHeight * outWidth * channels)
        input.data.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                let shared = UncheckedSendable((source.baseAddress!, target.baseAddress!))
                let workers = max(1, min(workers, outHeight))
                // Output rows split across workers: memory-bound, 13 MB read after conv1_2.
                Parallel.forEach(workers) { worker in
                    let (s, t) = shared.value
                    for y in (outHeight * worker / workers)..<(outHeight * (worker + 1) / workers) {
                        for x in 0..<outWidth {
                            let a = s + ((2 * y) * width + 2 * x) * channels
                            let b = a + channels
                            let c = a + width * channels
                            let d = c + channels
                            let o = t + (y * outWidth + x) * channels
                            for ch in 0..<channels { o[ch] = max(max(a[ch], b[ch]), max(c[ch], d[ch])) }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [outHeight, outWidth, channels], data: output)
    }

    /// Mean over all positions: `[H, W, C]` → `[C]`.
    public static func meanPool(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 3, "meanPool expects [H, W, C], got \(input.shape)")
        let positions = input.shape[0] * input.shape[1], channels = input.shape[2]
        var sum = [Double](repeating: 0, count: channels)
        for p in 0..<positions {
            for c in 0..<channels { sum[c] += Double(input.data[p * channels + c]) }
        }
        return Tensor(shape: [channels], data: sum.map { Float($0 / Double(max(1, positions))) })
    }

    /// Max over all positions: `[H, W, C]` → `[C]`.
    public static func maxPool(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 3, "maxPool expects [H, W, C], got \(input.shape)")
        let positions = input.shape[0] * input.shape[1], channels = input.shape[2]
        var best = [Float](repeating: -.infinity, count: channels)
        for p in 0..<positions {
            for c in 0..<channels { best[c] = max(best[c], input.data[p * channels + c]) }
        }
        return Tensor(shape: [channels], data: best)
    }
}
