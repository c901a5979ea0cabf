import CKernels
import Foundation
import Tensors

/// Soft attention of Show, Attend and Tell (Xu et al. 2015, §4.2 and §4.2.1), row by row: what
/// decoding and training both run, so they cannot drift apart. For a row with query q and gate
/// pre-activation g (both from h_{t−1}: `[q, g] = h_{t−1}·W_q`) over its image's L regions a_i
/// `// [L, F]` with keys k_i = a_i·W_a + b_a `// [L, A]`:
///
///     e_i = w · tanh(k_i + q)              // [A] · [A]: one score per region
///     α = softmax(e)                        // [L]
///     z = Σ_i α_i a_i                        // [F]
///     β = σ(g + b_g)                         // [F], the gate that lets a step look less
///     ẑ = β ⊙ z                              // [F], what the LSTM and the output read
///
/// The tanh of every (row, region) pair is the costly part (L·A values a row): training computes
/// it eight lanes at a time and keeps it for the backward pass; decoding keeps nothing and runs
/// the scores in AVX2 (`ck_attention_scores`).
struct SoftAttention {
    /// L, F, A.
    let regionCount: Int, featureSize: Int, attentionSize: Int
    /// w `// [A]`, b_g `// [F]`.
    let score: UnsafePointer<Float>, gateBias: UnsafePointer<Float>

    /// ā = (1/L) Σ_i a_i of each of `images` images' L regions `// [images, L·F]`, written to
    /// `mean` `// [images, F]`: what h₀ and c₀ are made from.
    static func meanRegions(_ regions: UnsafePointer<Float>, images: Int, regionCount l: Int, featureSize f: Int,
                            into mean: UnsafeMutablePointer<Float>) {
        mean.update(repeating: 0, count: images * f)
        for image in 0..<images {
            for i in 0..<l { RowKernels.add(regions + (image * l + i) * f, to: mean + image * f, count: f) }
            RowKernels.scale(mean + image * f, by: 1 / Float(l), count: f)
        }
    }

    /// Where one row's image lives: its regions `// [L, F]` and keys `// [L, A]`.
    struct Image {
        var regions: UnsafePointer<Float>
        var keys: UnsafePointer<Float>
    }

    /// The forward pass of `rows` rows. `queries` rows are `[q, g]` `// [A + F]`; writes α
    /// `// [rows, L]`, z and β `// [rows, F]`, ẑ (row r at `gated + r · gatedStride`), and,
    /// when given, tanh(k_i + q) `// [rows, L, A]`.
    func forward(rows: Int, queries: UnsafePointer<Float>, image: (Int) -> Image,
                 alpha: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>,
                 gate: UnsafeMutablePointer<Float>, gated: UnsafeMutablePointer<Float>, gatedStride: Int,
                 squashed: UnsafeMutablePointer<Float>?) {
        let l = regionCount, f = featureSize, a = attentionSize, queryWidth = a + f
        for r in 0..<rows {
            let source = image(r), query = queries + r * queryWidth, weights = alpha + r * l
            if let squashed {
                for i in 0..<l {
                    let key = source.keys + i * a, target = squashed + (r * l + i) * a
                    var sums = SIMD8<Float>()
                    for j in stride(from: 0, to: a, by: 8) {
                        let lanes = min(8, a - j)
                        let t = RowKernels.tanh(RowKernels.load(key + j, count: lanes) + RowKernels.load(query + j, count: lanes))
                        RowKernels.store(t, target + j, count: lanes)
                        // Lanes past `a` load as zeros: tanh(0) · 0 adds nothing.
                        sums += t * RowKernels.load(score + j, count: lanes)
                    }
                    weights[i] = sums.sum()
                }
            } else {
                // Decoding keeps no tanh values: the AVX2 kernel, which costs a fifth as much.
                ck_attention_scores(source.keys, l, a, query, score, weights)
            }
            let top = RowKernels.maximum(weights, count: l)
            let total = RowKernels.exponentiate(weights, count: l, shift: top)
            RowKernels.scale(weights, by: 1 / total, count: l)
            // z = aᵀα: the regions weighted by their attention.
            BLAS.gemv(trans: true, m: l, n: f, a: source.regions, lda: f, x: weights, y: context + r * f)
            for j in stride(from: 0, to: f, by: 8) {
                let lanes = min(8, f - j)
                let beta = RowKernels.sigmoid(RowKernels.load(query + a + j, count: lanes)
                                              + RowKernels.load(gateBias + j, count: lanes))
                RowKernels.store(beta, gate + r * f + j, count: lanes)
                RowKernels.store(beta * RowKernels.load(context + r * f + j, count: lanes),
                                 gated + r * gatedStride + j, count: lanes)
            }
        }
    }

    /// The backward pass of the rows `forward` ran, from dL/dẑ (row r at `dGated + r ·
    /// dGatedStride`) and, when given, a further dL/dα `// [rows, L]` (the attention penalty):
    ///
    ///     dz = dẑ ⊙ β            d(g) = dẑ ⊙ z ⊙ β(1 − β)
    ///     dα_i = a_i · dz        de = α ⊙ (dα − α·dα)
    ///     dT_i = de_i w ⊙ (1 − T_i²)      dq = Σ_i dT_i    dk_i += dT_i    dw += Σ_i de_i T_i
    ///
    /// Writes d[q, g] `// [rows, A + F]`; adds into each row's key gradient `// [L, A]` (given
    /// by `keyGradient(r)`), dw `// [A]` and db_g `// [F]`.
    func backward(rows: Int, image: (Int) -> Image, alpha: UnsafePointer<Float>, context: UnsafePointer<Float>,
                  gate: UnsafePointer<Float>, squashed: UnsafePointer<Float>,
                  dGated: UnsafePointer<Float>, dGatedStride: Int, dAlphaExtra: UnsafePointer<Float>?,
                  dQueries: UnsafeMutablePointer<Float>, keyGradient: (Int) -> UnsafeMutablePointer<Float>,
                  dScore: UnsafeMutablePointer<Float>, dGateBias: UnsafeMutablePointer<Float>) {
        let l = regionCount, f = featureSize, a = attentionSize, queryWidth = a + f
        var buffers = [Float](repeating: 0, count: f + l)
        buffers.withUnsafeMutableBufferPointer { scratch in
            let dContext = scratch.baseAddress!, dAlpha = scratch.baseAddress! + f
            for r in 0..<rows {
                let source = image(r), weights = alpha + r * l, dQuery = dQueries + r * queryWidth
                for j in stride(from: 0, to: f, by: 8) {
                    let lanes = min(8, f - j)
                    let dg = RowKernels.load(dGated + r * dGatedStride + j, count: lanes)
                    let beta = RowKernels.load(gate + r * f + j, count: lanes)
                    RowKernels.store(dg * beta, dContext + j, count: lanes)
                    let dGatePre = dg * RowKernels.load(context + r * f + j, count: lanes) * beta * (1 - beta)
                    RowKernels.store(dGatePre, dQuery + a + j, count: lanes)
                }
                RowKernels.add(dQuery + a, to: dGateBias, count: f)
                BLAS.gemv(m: l, n: f, a: source.regions, lda: f, x: dContext, y: dAlpha)
                if let dAlphaExtra { RowKernels.add(dAlphaExtra + r * l, to: dAlpha, count: l) }
                let mean = RowKernels.dot(weights, dAlpha, count: l)
                (dQuery).update(repeating: 0, count: a)
                let dKeys = keyGradient(r)
                for i in 0..<l {
                    let de = weights[i] * (dAlpha[i] - mean)
                    let t = squashed + (r * l + i) * a, dKey = dKeys + i * a
                    RowKernels.addScaled(de, t, to: dScore, count: a)
                    for j in stride(from: 0, to: a, by: 8) {
                        let lanes = min(8, a - j)
                        let tv = RowKernels.load(t + j, count: lanes)
                        let dT = de * RowKernels.load(score + j, count: lanes) * (1 - tv * tv)
                        RowKernels.store(RowKernels.load(dQuery + j, count: lanes) + dT, dQuery + j, count: lanes)
                        RowKernels.store(RowKernels.load(dKey + j, count: lanes) + dT, dKey + j, count: lanes)
                    }
                }
            }
        }
    }
}
