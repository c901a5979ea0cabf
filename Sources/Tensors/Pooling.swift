/// Pooling over the spatial dimensions of an HWC feature map `[H, W, C]`.
public enum Pooling {
    /// 2×2 max pooling with stride 2 (VGG16's); an odd last row or column is dropped, as Keras's
    /// "valid" padding does. `[H, W, C]` → `[H/2, W/2, C]`.
    public static func maxPool2x2(_ input: Tensor, workers: Int = Parallel.workers) -> Tensor {
        precondition(input.shape.count == 3, "maxPool2x2 expects [H, W, C], got \(input.shape)")
        let height = input.shape[0], width = input.shape[1], channels = input.shape[2]
        let outHeight = height / 2, outWidth = width / 2
        // Every value is written below.
        var output = [Float](unsafeUninitializedCapacity: outHeight * outWidth * channels) { _, count in
            count = outHeight * outWidth * channels
        }
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
                            var ch = 0
                            while ch + 8 <= channels {
                                store8(max8(max8(load8(a + ch), load8(b + ch)), max8(load8(c + ch), load8(d + ch))), o + ch)
                                ch += 8
                            }
                            while ch < channels {
                                o[ch] = max(max(a[ch], b[ch]), max(c[ch], d[ch]))
                                ch += 1
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [outHeight, outWidth, channels], data: output)
    }

    /// Lane-wise max as one compare and blend (the stdlib's `pointwiseMax` stays an out-of-line
    /// generic call, element by element).
    @inline(__always)
    private static func max8(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        var a = a
        a.replace(with: b, where: a .< b)
        return a
    }

    /// Mean over all positions: `[H, W, C]` → `[C]`.
    public static func meanPool(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 3, "meanPool expects [H, W, C], got \(input.shape)")
        let positions = input.shape[0] * input.shape[1], channels = input.shape[2]
        var sum = [Double](repeating: 0, count: channels)
        // 49 × 512 values for pool5: Double sums so the mean does not depend on the order.
        input.data.withUnsafeBufferPointer { values in
            sum.withUnsafeMutableBufferPointer { sum in
                for p in 0..<positions {
                    for c in 0..<channels { sum[c] += Double(values[p * channels + c]) }
                }
            }
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
