import Testing
import Tensors

/// Every convolution algorithm against a direct Double-precision reference, on odd and even
/// sizes (Winograd's 2×2 and 4×4 tiles must handle partial last rows and columns), with both
/// ways of sharing a layer between workers.
@Suite struct Conv2DTests {
    static let cases: [(height: Int, width: Int, cin: Int, cout: Int)] = [
        (8, 8, 16, 8), (7, 9, 16, 16), (5, 3, 8, 24), (1, 1, 8, 8), (13, 6, 32, 8), (10, 11, 8, 8), (37, 5, 8, 16),
    ]

    /// Normalized error allowed: F(4×4)'s transform coefficients (up to 8 and 1/24) cost about
    /// one decimal digit over the others.
    static func tolerance(_ algorithm: Conv2D.Algorithm) -> Double {
        algorithm == .winograd4x4 ? 1e-5 : 1e-6
    }

    @Test(arguments: Conv2D.Algorithm.allCases, [1, 2, 3])
    func matchesDirectConvolution(algorithm: Conv2D.Algorithm, workers: Int) {
        for (i, c) in Self.cases.enumerated() {
            let x = OpTest.random([c.height, c.width, c.cin], seed: UInt64(i))
            let weight = OpTest.random([c.cout, c.cin, 3, 3], seed: UInt64(100 + i), scale: 0.2)
            let bias = OpTest.random([c.cout], seed: UInt64(200 + i))
            for relu in [false, true] {
                let want = OpTest.directConvolution(x, weight: weight, bias: bias, relu: relu)
                for split in Conv2D.Split.allCases {
                    let conv = Conv2D(weight: weight, bias: bias, algorithm: algorithm, split: split)
                    let got = conv(x, relu: relu, workers: workers)
                    #expect(got.shape == [c.height, c.width, c.cout])
                    let error = OpTest.normalizedError(got.data, want)
                    #expect(error < Self.tolerance(algorithm), "\(algorithm) \(split) \(c) relu \(relu) workers \(workers): error \(error)")
                }
            }
        }
    }

    @Test func firstLayerUsesIm2colAndWideLayersUseWinograd() {
        let narrow = Conv2D(weight: Tensor(shape: [64, 3, 3, 3]), bias: Tensor(shape: [64]))
        let wide = Conv2D(weight: Tensor(shape: [64, 64, 3, 3]), bias: Tensor(shape: [64]))
        #expect(narrow.algorithm == .im2col)
        #expect(wide.algorithm == .winograd2x2)
    }

    /// A single 1 at the centre picks out each weight: catches a transposed or flipped kernel.
    @Test(arguments: Conv2D.Algorithm.allCases)
    func impulseResponseIsTheKernel(algorithm: Conv2D.Algorithm) {
        var x = Tensor(shape: [5, 5, 8])
        x.data[(2 * 5 + 2) * 8 + 3] = 1  // pixel (2, 2), channel 3
        let weight = OpTest.random([8, 8, 3, 3], seed: 7)
        let out = Conv2D(weight: weight, bias: Tensor(shape: [8]), algorithm: algorithm)(x, relu: false)
        for co in 0..<8 {
            for kh in 0..<3 {
                for kw in 0..<3 {
                    // Output (2 − (kh − 1), 2 − (kw − 1)) sees the impulse through tap (kh, kw).
                    let y = 3 - kh, xx = 3 - kw
                    let got = out.data[(y * 5 + xx) * 8 + co]
                    let want = weight.data[((co * 8 + 3) * 3 + kh) * 3 + kw]
                    #expect(abs(got - want) < 1e-5, "\(algorithm) co \(co) tap (\(kh), \(kw))")
                }
            }
        }
    }
}
