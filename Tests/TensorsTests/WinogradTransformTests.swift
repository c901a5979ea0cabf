import Testing
import Tensors

/// Each Winograd variant's three transforms against its matrices applied in Double: the input
/// transform Bᵀ d B, the kernel transform G g Gᵀ and the output transform Aᵀ M A. (The whole
/// convolution, odd sizes included, is checked against a direct convolution in `Conv2DTests`.)
@Suite struct WinogradTransformTests {
    /// The matrices of `WinogradConvolution`'s doc comment, written out again independently.
    struct Matrices {
        let bt: [[Double]], g: [[Double]], at: [[Double]]
        var alpha: Int { bt.count }
        var side: Int { at.count }
    }

    static let variants: [(Conv2D.Algorithm, Matrices)] = [
        (.winograd2x2, Matrices(
            bt: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
            g: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
            at: [[1, 1, 1, 0], [0, 1, -1, -1]])),
        (.winograd4x4, Matrices(
            bt: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                 [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
            g: [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]],
            at: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])),
    ]

    /// L · X · Rᵀ for X given as a closure over (row, column).
    static func sandwich(_ left: [[Double]], _ x: (Int, Int) -> Double, _ right: [[Double]]) -> [[Double]] {
        left.map { l in
            right.map { r in
                var sum = 0.0
                for a in l.indices { for b in r.indices { sum += l[a] * x(a, b) * r[b] } }
                return sum
            }
        }
    }

    @Test(arguments: 0..<2)
    func inputTransformIsBtDB(variant: Int) {
        let (algorithm, mats) = Self.variants[variant]
        let channels = 16, alpha = mats.alpha
        let patch = OpTest.random([alpha, alpha, channels], seed: 11).data
        let got = WinogradTransform.input(patch, algorithm: algorithm, channels: channels)
        var want = [Float](repeating: 0, count: got.count)
        for c in 0..<channels {
            let v = Self.sandwich(mats.bt, { Double(patch[($0 * alpha + $1) * channels + c]) }, mats.bt)
            for i in 0..<alpha { for j in 0..<alpha { want[(i * alpha + j) * channels + c] = Float(v[i][j]) } }
        }
        let error = OpTest.normalizedError(got, want)
        #expect(error < 1e-6, "\(algorithm): error \(error)")
    }

    @Test(arguments: 0..<2)
    func kernelTransformIsGgGt(variant: Int) {
        let (algorithm, mats) = Self.variants[variant]
        let cin = 3, cout = 16, alpha = mats.alpha
        let weight = OpTest.random([cout, cin, 3, 3], seed: 12)
        let got = WinogradTransform.kernel(weight, algorithm: algorithm)
        var want = [Float](repeating: 0, count: alpha * alpha * cin * cout)
        for co in 0..<cout {
            for ci in 0..<cin {
                let u = Self.sandwich(mats.g, { Double(weight.data[((co * cin + ci) * 3 + $0) * 3 + $1]) }, mats.g)
                for i in 0..<alpha { for j in 0..<alpha { want[((i * alpha + j) * cin + ci) * cout + co] = Float(u[i][j]) } }
            }
        }
        #expect(got.count == want.count)
        let error = OpTest.normalizedError(got, want)
        #expect(error < 1e-6, "\(algorithm): error \(error)")
    }

    @Test(arguments: 0..<2)
    func outputTransformIsAtMA(variant: Int) {
        let (algorithm, mats) = Self.variants[variant]
        let channels = 24, alpha = mats.alpha, side = mats.side
        let m = OpTest.random([alpha * alpha, channels], seed: 13).data
        let got = WinogradTransform.output(m, algorithm: algorithm, channels: channels)
        var want = [Float](repeating: 0, count: side * side * channels)
        for c in 0..<channels {
            let y = Self.sandwich(mats.at, { Double(m[($0 * alpha + $1) * channels + c]) }, mats.at)
            for r in 0..<side { for s in 0..<side { want[(r * side + s) * channels + c] = Float(y[r][s]) } }
        }
        let error = OpTest.normalizedError(got, want)
        #expect(error < 1e-6, "\(algorithm): error \(error)")
    }

    /// The three matrices compose to a 3×3 convolution: Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A equals the
    /// direct correlation of the α×α patch with g, in Double (guards the matrices themselves).
    @Test(arguments: 0..<2)
    func matricesComposeToCorrelation(variant: Int) {
        let (_, mats) = Self.variants[variant]
        let alpha = mats.alpha, side = mats.side
        let d = OpTest.random([alpha, alpha], seed: 14).data.map(Double.init)
        let g = OpTest.random([3, 3], seed: 15).data.map(Double.init)
        let u = Self.sandwich(mats.g, { g[$0 * 3 + $1] }, mats.g)
        let v = Self.sandwich(mats.bt, { d[$0 * alpha + $1] }, mats.bt)
        let y = Self.sandwich(mats.at, { u[$0][$1] * v[$0][$1] }, mats.at)
        for r in 0..<side {
            for s in 0..<side {
                var direct = 0.0
                for a in 0..<3 { for b in 0..<3 { direct += d[(r + a) * alpha + s + b] * g[a * 3 + b] } }
                #expect(abs(y[r][s] - direct) < 1e-9, "(\(r), \(s)): \(y[r][s]) vs \(direct)")
            }
        }
    }
}
