import Foundation
import Testing
import Tensors

@Suite struct PoolingAndMathTests {
    @Test func maxPoolTakesEachWindowsMaxAndDropsOddEdges() {
        // [3, 5, 2]: values encode position so each window's max is known.
        let x = Tensor(shape: [3, 5, 2], data: (0..<30).map { Float($0 % 7) - Float($0 / 10) })
        let out = Pooling.maxPool2x2(x)
        #expect(out.shape == [1, 2, 2])
        for ox in 0..<2 {
            for c in 0..<2 {
                var want = -Float.infinity
                for dy in 0..<2 { for dx in 0..<2 { want = max(want, x.data[(dy * 5 + 2 * ox + dx) * 2 + c]) } }
                #expect(out.data[ox * 2 + c] == want)
            }
        }
    }

    @Test func meanAndMaxPoolOverPositions() {
        let x = Tensor(shape: [2, 2, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        #expect(Pooling.meanPool(x).data == [5.5, 6.5, 7.5])
        #expect(Pooling.maxPool(x).data == [10, 11, 12])
    }

    @Test(arguments: [false, true], [false, true])
    func matmulMatchesNaiveProduct(transposeSelf: Bool, transposeOther: Bool) {
        let (m, k, n) = (5, 7, 3)
        let a = OpTest.random(transposeSelf ? [k, m] : [m, k], seed: 1)
        let b = OpTest.random(transposeOther ? [n, k] : [k, n], seed: 2)
        let got = a.matmul(b, transposeSelf: transposeSelf, transposeOther: transposeOther)
        var want = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    let av = transposeSelf ? a.data[p * m + i] : a.data[i * k + p]
                    let bv = transposeOther ? b.data[j * k + p] : b.data[p * n + j]
                    want[i * n + j] += av * bv
                }
            }
        }
        #expect(got.shape == [m, n])
        #expect(OpTest.normalizedError(got.data, want) < 1e-6)
    }

    @Test(arguments: [false, true], [false, true])
    func gemmSplitAcrossWorkersMatchesOneCall(transA: Bool, transB: Bool) {
        // 130 rows: more than one band of 32 a worker, and a ragged last band.
        let (m, k, n) = (130, 37, 21)
        let a = OpTest.random(transA ? [k, m] : [m, k], seed: 3)
        let b = OpTest.random(transB ? [n, k] : [k, n], seed: 4)
        func product(workers: Int) -> [Float] {
            var c = [Float](repeating: 1, count: m * n)
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                                  a: pa.baseAddress!, lda: transA ? m : k, b: pb.baseAddress!, ldb: transB ? k : n,
                                  beta: 2, c: pc.baseAddress!, ldc: n, workers: workers)
                    }
                }
            }
            return c
        }
        let one = product(workers: 1), split = product(workers: 4)
        #expect(OpTest.normalizedError(split, one) < 1e-6)
        #expect(one != [Float](repeating: 1, count: m * n))
    }

    @Test func logSoftmaxRowsNormalizeAndSurviveLargeLogits() {
        let x = Tensor(shape: [2, 3], data: [1000, 1001, 1002, -5, 0, 5])
        let logp = x.logSoftmax()
        for row in 0..<2 {
            let sum = logp.data[(row * 3)..<(row * 3 + 3)].map { exp($0) }.reduce(0, +)
            #expect(abs(sum - 1) < 1e-6)
        }
        #expect(logp.data.allSatisfy { $0.isFinite })
        // log-softmax of (0, 1, 2) shifted by 1000 is unchanged.
        let expected = log(exp(Float(0)) / (exp(0) + exp(1) + exp(2)))
        #expect(abs(logp.data[0] - expected) < 1e-5)
    }

    @Test func splitMix64IsReproducibleAndUniform() {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42)
        let xs = (0..<1000).map { _ in a.nextUnit() }
        #expect(xs == (0..<1000).map { _ in b.nextUnit() })
        #expect(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(xs.reduce(0, +) / 1000 - 0.5) < 0.05)
    }

    @Test func vectorExpIsWithinTwoUlpOfDoubleAndClampsTheEnds() {
        // Every 1/64 over the range softmax feeds it, plus both clamps and the ends of the range.
        var inputs = stride(from: -90.0, through: 90.0, by: 1.0 / 64).map { Float($0) }
        inputs += [0, -0.0, 1e-30, -1e-30, 88, -87.3, .infinity, -.infinity]
        var worst: Double = 0
        for (x, e) in zip(inputs, Self.eightLanes(inputs, RowKernels.exp)) {
            let exact = Foundation.exp(Double(min(max(x, -87.3), 88)))
            #expect(e.isFinite && e > 0, "e^\(x) = \(e)")
            worst = max(worst, abs(Double(e) - exact) / Double(Float(exact).ulp))
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test func vectorLogIsWithinTwoUlpOfDoubleAndKeepsTheEdgeCases() {
        // Mantissas on both sides of √½ in every binade a probability can take, then the edges.
        var inputs: [Float] = []
        for e in -126...127 {
            for m in stride(from: 1.0, to: 2.0, by: 1.0 / 37) { inputs.append(Float(m * pow(2, Double(e)))) }
        }
        inputs += [1, 1 + Float.ulpOfOne, 1 - Float.ulpOfOne / 2, 0.707_106_78, 0.707_106_8, .greatestFiniteMagnitude]
        let edges: [Float] = [0, Float.leastNonzeroMagnitude, 1e-40, .infinity]
        inputs += edges
        var worst: Double = 0
        for (x, y) in zip(inputs, Self.eightLanes(inputs, RowKernels.log)) {
            if edges.contains(x) {
                #expect(y == Foundation.log(x), "ln \(x) = \(y)")
            } else {
                let exact = Foundation.log(Double(x))
                worst = max(worst, abs(Double(y) - exact) / Double(max(Float(abs(exact)).ulp, Float.leastNormalMagnitude)))
            }
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    /// `f` over `inputs`, eight at a time (the last lanes padded with 1), one output per input.
    static func eightLanes(_ inputs: [Float], _ f: (SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
        stride(from: 0, to: inputs.count, by: 8).flatMap { start -> [Float] in
            var lanes = SIMD8<Float>(repeating: 1)
            for k in 0..<min(8, inputs.count - start) { lanes[k] = inputs[start + k] }
            let out = f(lanes)
            return (0..<min(8, inputs.count - start)).map { out[$0] }
        }
    }

    @Test func exponentiateSumsAndMaximumMatchScalarLoops() {
        // 19 values: two full lanes of 8 and a tail of 3.
        var x = (0..<19).map { Float(($0 * 37) % 23) / 4 - 3 }
        let top = RowKernels.maximum(x, count: x.count)
        #expect(top == x.max()!)
        let expected = x.map { Foundation.exp(Double($0 - top)) }
        let sum = x.withUnsafeMutableBufferPointer { RowKernels.exponentiate($0.baseAddress!, count: 19, shift: top) }
        #expect(abs(Double(sum) - expected.reduce(0, +)) < 1e-5)
        #expect(zip(x, expected).allSatisfy { abs(Double($0) - $1) < 1e-6 * $1 + 1e-12 })
    }
}
