import CKernels
import Foundation
import Testing

/// The C kernels under the packed decoders (`ckernels.h`), both paths (AVX2 + FMA + F16C, and
/// the portable one), against the same sums in Double.
@Suite struct PanelKernelTests {
    /// Runs `body` with the AVX2 path (where the CPU has it) and with the portable path.
    static func bothPaths(_ body: (String) -> Void) {
        for avx2: Int32 in [1, 0] {
            let previous = ck_use_avx2(avx2)
            defer { _ = ck_use_avx2(previous) }
            body(avx2 == 1 && ck_has_avx2() == 1 ? "avx2" : "portable")
        }
    }

    static func uniform(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 40) / Double(1 << 24) * 2 - 1)
        }
    }

    /// Every row count a tile handles (6-row tiles, then threes, then single rows), K odd, C with
    /// a row stride past the panel and its old values kept.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 25])
    func panelProductsMatchDouble(rows m: Int) {
        let k = 37, lda = 41, ldc = 45
        let a = Self.uniform(m * lda, seed: 1)
        // Values a float16 holds exactly (multiples of 1/1024 in (−1, 1)), as float32 and as bits.
        let w = Self.uniform(k * 32, seed: 2).map { ($0 * 1024).rounded() / 1024 }
        var bits = [UInt16](repeating: 0, count: w.count)
        #expect(ck_narrow_f16_exact(w, &bits, w.count) == 1)
        let start = Self.uniform(m * ldc, seed: 3)
        Self.bothPaths { path in
            for half in [false, true] {
                var c = start
                if half { ck_panel_f16(bits, k, a, lda, m, &c, ldc) } else { ck_panel_f32(w, k, a, lda, m, &c, ldc) }
                var worst = 0.0
                for r in 0..<m {
                    for j in 0..<ldc {
                        var expected = Double(start[r * ldc + j])
                        if j < 32 { for i in 0..<k { expected += Double(a[r * lda + i]) * Double(w[i * 32 + j]) } }
                        worst = max(worst, abs(expected - Double(c[r * ldc + j])))
                    }
                }
                #expect(worst < 2e-5, "\(path), \(half ? "float16" : "float32"), \(m) rows: off by \(worst)")
            }
        }
    }

    @Test func float16ConversionIsExactBothWays() {
        let all = (0...UInt16.max).map { $0 }
        let finite = all.filter { Float16(bitPattern: $0).isFinite || Float16(bitPattern: $0).isInfinite }
        Self.bothPaths { path in
            var widened = [Float](repeating: 0, count: all.count)
            ck_widen_f16(all, &widened, all.count)
            for (bits, value) in zip(all, widened) where !Float16(bitPattern: bits).isNaN {
                #expect(value == Float(Float16(bitPattern: bits)), "\(path): \(bits) widens to \(value)")
            }
            // Every float16 number narrows back to its own bits (−0 included); NaN and values
            // between float16 numbers are refused.
            let values = finite.map { Float(Float16(bitPattern: $0)) }
            var narrowed = [UInt16](repeating: 0, count: values.count)
            #expect(ck_narrow_f16_exact(values, &narrowed, values.count) == 1, "\(path)")
            #expect(narrowed == finite, "\(path)")
            for inexact: Float in [1 + 1 / 4096, 1e-8, 70000, .nan, 0.1] {
                var one: UInt16 = 0
                #expect(ck_narrow_f16_exact([inexact], &one, 1) == 0, "\(path): \(inexact) is not a float16")
                // In the eight-lane loop too.
                var eight = [UInt16](repeating: 0, count: 8)
                #expect(ck_narrow_f16_exact([1, 2, 3, inexact, 5, 6, 7, 8], &eight, 8) == 0, "\(path): \(inexact) in 8")
            }
        }
    }

    /// Rounding to float16 in place gives Swift's `Float(Float16(x))`: ties to even, subnormals,
    /// overflow to infinity; every float16 number, and the halfway points between neighbours.
    @Test func roundingToFloat16MatchesSwift() {
        var values = Self.uniform(4096, seed: 7).enumerated().map { $0.element * Float(1 << ($0.offset % 40)) / 1e6 }
        values += [0, -0, 65504, 65519.99, 65520, 1e9, -1e9, 6e-8, 3e-8, 2.9e-8, 1e-10, .infinity, -.infinity]
        for bits in stride(from: UInt16(0), to: 0x7C00, by: 97) {
            let low = Float(Float16(bitPattern: bits)), high = Float(Float16(bitPattern: bits + 1))
            values += [low, (low + high) / 2, -(low + high) / 2]
        }
        Self.bothPaths { path in
            var rounded = values
            ck_round_f16(&rounded, rounded.count)
            for (value, got) in zip(values, rounded) {
                #expect(got.bitPattern == Float(Float16(value)).bitPattern, "\(path): \(value) rounds to \(got)")
            }
            var nan: [Float] = [.nan]
            ck_round_f16(&nan, 1)
            #expect(nan[0].isNaN, "\(path)")
        }
    }

    /// scores[i] = Σ_j w_j tanh(k_ij + q_j), with keys reaching tanh's flat ends and A not a
    /// multiple of 8.
    @Test(arguments: [5, 8, 37])
    func attentionScoresMatchDouble(attentionSize a: Int) {
        let regions = 9
        let keys = Self.uniform(regions * a, seed: 4).enumerated().map { $0.element * Float(1 + $0.offset % 12) }
        let query = Self.uniform(a, seed: 5), w = Self.uniform(a, seed: 6)
        Self.bothPaths { path in
            var scores = [Float](repeating: 0, count: regions)
            ck_attention_scores(keys, regions, a, query, w, &scores)
            for i in 0..<regions {
                var expected = 0.0
                for j in 0..<a { expected += Double(w[j]) * Foundation.tanh(Double(keys[i * a + j] + query[j])) }
                #expect(abs(expected - Double(scores[i])) < 1e-5, "\(path), region \(i): \(scores[i]) vs \(expected)")
            }
        }
        var nan: Float = 0
        ck_attention_scores([.nan], 1, 1, [0], [1], &nan)
        #expect(nan.isNaN)
    }
}
