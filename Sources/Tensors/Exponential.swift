import Foundation

/// e^x eight lanes at a time, and the softmax passes built on it. glibc's `expf` is one call
/// per value; the training softmax takes ~3 million a step (N scored tokens × V words).
extension RowKernels {
    /// e^x to within 2 ulp (Cephes `expf`): x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r from a
    /// degree-6 polynomial, 2ⁿ put in the exponent bits. Inputs are clamped to [−87.3, 88] so
    /// that n stays in −126…127 and results finite and normal (e^−87.3 ≈ 1.2e−38); NaN stays
    /// NaN. Callers feed it shifted logits (≤ 0). Rounding to n uses the 1.5·2²³ trick: only adds,
    /// multiplies and integer shifts, which SSE2 has (the build does not assume SSE4.1 or AVX).
    @inlinable
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var x = x
        x.replace(with: 88, where: x .> 88)
        x.replace(with: -87.3, where: x .< -87.3)
        let shifter: Float = 12_582_912                       // 1.5 · 2²³
        let t = x * 1.442_695_04 + shifter                    // n + shifter, rounded to nearest
        let n = t - shifter
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4   // x − n·ln 2 in two parts
        var p: SIMD8<Float> = SIMD8(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * r * r + r + 1
        // n sits in the low mantissa bits of t; 2ⁿ has exponent field n + 127.
        let bits = (unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return er * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    /// ln x to within 2 ulp for normal x > 0 (Cephes `logf`): x = m·2ᵉ with m in [√½, √2),
    /// ln x = e·ln 2 + ln m, ln m from a degree-9 polynomial in m − 1. Lanes below the smallest
    /// normal float (0, subnormals) and non-finite lanes go through Foundation's `log`, so
    /// log 0 = −∞ as before.
    @inlinable
    public static func log(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<Int32>.self)
        var exponent = SIMD8<Float>((bits &>> 23) &- 126)
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: SIMD8<Float>.self)   // [½, 1)
        let small = m .< 0.707_106_781
        exponent.replace(with: exponent - 1, where: small)
        m = (m - 1) + m.replacing(with: 0, where: .!small)                                 // m − 1, or 2m − 1
        let z = m * m
        var p = SIMD8<Float>(repeating: 7.037_683_6e-2)
        p = p * m - 1.151_461_03e-1
        p = p * m + 1.167_699_87e-1
        p = p * m - 1.242_014_08e-1
        p = p * m + 1.424_932_28e-1
        p = p * m - 1.666_805_77e-1
        p = p * m + 2.000_071_48e-1
        p = p * m - 2.499_999_40e-1
        p = p * m + 3.333_333_12e-1
        var y = p * m * z - exponent * 2.121_944_4e-4 - 0.5 * z
        y = m + y + exponent * 0.693_359_375
        let unusual = (x .< Float.leastNormalMagnitude) .| (x .> Float.greatestFiniteMagnitude) .| (x .!= x)
        if any(unusual) {
            for k in 0..<8 where unusual[k] { y[k] = Foundation.log(x[k]) }
        }
        return y
    }

    /// max over `count` > 0 values.
    public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var top = x[0]
        var j = 0
        if count >= 8 {
            var lanes = load(x)
            j = 8
            while j + 8 <= count {
                let v = load(x + j)
                lanes.replace(with: v, where: v .> lanes)
                j += 8
            }
            top = lanes.max()
        }
        while j < count {
            top = Swift.max(top, x[j])
            j += 1
        }
        return top
    }

    /// x[j] = e^(x[j] − shift) in place; returns Σ_j of the new values.
    public static func exponentiate(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        var sums = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let e = exp(load(x + j) - shift)
            store(e, x + j)
            sums += e
            j += 8
        }
        if j < count {
            var tail = SIMD8<Float>(repeating: -.infinity)
            for k in j..<count { tail[k - j] = x[k] - shift }
            var e = exp(tail)
            for k in (count - j)..<8 { e[k] = 0 }
            for k in j..<count { x[k] = e[k - j] }
            sums += e
        }
        return sums.sum()
    }

    /// x *= alpha over `count` values.
    public static func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        var j = 0
        while j + 8 <= count {
            store(load(x + j) * alpha, x + j)
            j += 8
        }
        while j < count {
            x[j] *= alpha
            j += 1
        }
    }
}

extension RowKernels {
    /// 1 / (1 + e^−x), eight lanes at a time (`BatchMath.sigmoid` with `exp` above).
    @inlinable
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + exp(-x)) }

    /// tanh x as `BatchMath.tanh` computes it, 1 − 2 / (e^{2x} + 1), with x − x³/3 where
    /// |x| < 2⁻⁸ (the formula cancels there), eight lanes at a time.
    @inlinable
    public static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var y = 1 - 2 / (exp(2 * x) + 1)
        y.replace(with: x - x * x * x / 3, where: (x .< 0.00390625) .& (x .> -0.00390625))
        return y
    }

    /// The first `count` ≤ 8 values at `p`, zeros in the lanes after.
    @inlinable
    public static func load(_ p: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
        if count == 8 { return load(p) }
        var v = SIMD8<Float>()
        for k in 0..<count { v[k] = p[k] }
        return v
    }

    /// Stores the first `count` ≤ 8 lanes of `v` at `p`.
    @inlinable
    public static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
        if count == 8 { return store(v, p) }
        for k in 0..<count { p[k] = v[k] }
    }
}
