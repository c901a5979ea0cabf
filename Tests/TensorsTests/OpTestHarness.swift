import Tensors

/// One harness for every op test (ggml's test-backend-ops idea): compare an op's output with a
/// straightforward reference by normalized error, ‖got − want‖ / ‖want‖.
enum OpTest {
    static func normalizedError(_ got: [Float], _ want: [Float]) -> Double {
        precondition(got.count == want.count, "sizes differ: \(got.count) vs \(want.count)")
        var diff = 0.0, norm = 0.0
        for i in got.indices {
            let d = Double(got[i]) - Double(want[i])
            diff += d * d
            norm += Double(want[i]) * Double(want[i])
        }
        return (diff / max(norm, 1e-30)).squareRoot()
    }

    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float(rng.nextUnit() * 2 - 1) * scale })
    }

    /// Direct 3×3 convolution, pad 1, in Double: the reference for both algorithms.
    static func directConvolution(_ x: Tensor, weight: Tensor, bias: Tensor, relu: Bool) -> [Float] {
        let height = x.shape[0], width = x.shape[1], cin = x.shape[2], cout = weight.shape[0]
        var out = [Float](repeating: 0, count: height * width * cout)
        for y in 0..<height {
            for xx in 0..<width {
                for co in 0..<cout {
                    var sum = Double(bias.data[co])
                    for kh in 0..<3 {
                        for kw in 0..<3 {
                            let iy = y + kh - 1, ix = xx + kw - 1
                            guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                            for ci in 0..<cin {
                                sum += Double(x.data[(iy * width + ix) * cin + ci])
                                    * Double(weight.data[((co * cin + ci) * 3 + kh) * 3 + kw])
                            }
                        }
                    }
                    out[(y * width + xx) * cout + co] = Float(relu ? max(sum, 0) : sum)
                }
            }
        }
        return out
    }
}
