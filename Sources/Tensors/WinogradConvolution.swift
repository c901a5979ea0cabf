/// 3×3 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms
/// for Convolutional Neural Networks", CVPR 2016): each 2×2 block of output pixels (a tile) is
///
///     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// for the 4×4 input patch d under the tile and the 3×3 filter g, which needs 16 multiplies
/// instead of 36. Summed over input channels, the ⊙ becomes 16 independent matrix products
/// (one per patch position ξ), done by sgemm:
///
///     M[ξ] [T, Cout] = V[ξ] [T, Cin] × U[ξ] [Cin, Cout],   V = Bᵀ d B,  U = G g Gᵀ
///
/// with the exact matrices
///
///     Bᵀ = | 1  0 -1  0 |    G = | 1    0    0  |    Aᵀ = | 1  1  1  0 |
///          | 0  1  1  0 |        | 1/2  1/2  1/2 |         | 0  1 -1 -1 |
///          | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
///          | 0  1  0 -1 |        | 0    0    1  |
///
/// Its transforms only add and subtract (and halve, on the weights), so it stays within float
/// rounding of the direct convolution, unlike larger tiles such as F(4×4, 3×3).
struct WinogradConvolution {
    let inChannels: Int, outChannels: Int, height: Int, width: Int

    /// Scratch bytes (V and M) for one band: about the per-core L2 cache, so the transforms and
    /// sgemms pass V and M through cache rather than memory (measured: 1 MiB beats 16 MiB by
    /// ~25% on conv1_2)...
    static let bandBytes = 1 << 20
    /// ...but at least this many tiles, the sgemms' row count: below it their fixed cost
    /// dominates on the deep 28 × 28 and 14 × 14 layers, whose tile rows are short.
    static let minimumTilesPerBand = 128
    /// Gap between the 16 planes of V and of M. Without it the planes sit a multiple of 4 KiB
    /// apart and the transforms' 16 loads or stores all hit the same L1 cache set.
    static let planeGap = 32

    /// OIHW weights → U as `[16, Cin, Cout]`: U[ξ = 4i + j][ci][co] = (G g Gᵀ)[i][j].
    static func kernel(_ weight: Tensor) -> [Float] {
        let cout = weight.shape[0], cin = weight.shape[1]
        let gMatrix: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        var kernel = [Float](repeating: 0, count: 16 * cin * cout)
        for co in 0..<cout {
            for ci in 0..<cin {
                let g = Array(weight.data[((co * cin + ci) * 9)..<((co * cin + ci) * 9 + 9)])
                for i in 0..<4 {
                    for j in 0..<4 {
                        var sum: Float = 0
                        for r in 0..<3 {
                            for s in 0..<3 { sum += gMatrix[i][r] * g[r * 3 + s] * gMatrix[j][s] }
                        }
                        kernel[((4 * i + j) * cin + ci) * cout + co] = sum
                    }
                }
            }
        }
        return kernel
    }

    /// `padded` is `[H + 2 + H%2, W + 2 + W%2, Cin]` (zero border, tiles cover it exactly);
    /// `output` is `[H, W, Cout]`.
    ///
    /// Bands of tile rows are done one after another; within a band, each of the three steps
    /// (input transform, 16 sgemms, output transform) is split across the workers, the sgemms by
    /// ξ so that each multiplies all of the band's tiles at once.
    func run(padded: [Float], kernel: [Float], bias: [Float], relu: Bool, workers: Int, output: inout [Float]) {
        let cin = inChannels, cout = outChannels
        let tilesHigh = (height + 1) / 2, tilesWide = (width + 1) / 2
        let rowsByBytes = Self.bandBytes / (16 * tilesWide * (cin + cout) * 4)
        let rowsByTiles = (Self.minimumTilesPerBand + tilesWide - 1) / tilesWide
        // Even out the bands so the last one is not a sliver.
        let bands = (tilesHigh + max(1, rowsByBytes, rowsByTiles) - 1) / max(1, rowsByBytes, rowsByTiles)
        let rowsPerBand = (tilesHigh + bands - 1) / bands
        let maxTiles = rowsPerBand * tilesWide
        let vPlane = maxTiles * cin + Self.planeGap, mPlane = maxTiles * cout + Self.planeGap
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 16 * (vPlane + mPlane))
        defer { scratch.deallocate() }
        padded.withUnsafeBufferPointer { padded in
        kernel.withUnsafeBufferPointer { kernel in
        bias.withUnsafeBufferPointer { bias in
        output.withUnsafeMutableBufferPointer { output in
            let shared = UncheckedSendable((padded.baseAddress!, kernel.baseAddress!, bias.baseAddress!,
                                            output.baseAddress!, scratch, scratch + 16 * vPlane))
            for firstRow in stride(from: 0, to: tilesHigh, by: rowsPerBand) {
                let band = TileBand(firstTile: firstRow * tilesWide,
                                    tiles: (min(tilesHigh, firstRow + rowsPerBand) - firstRow) * tilesWide,
                                    tilesWide: tilesWide, vPlane: vPlane, mPlane: mPlane)
                Parallel.forEach(workers) { worker in
                    let (padded, _, _, _, v, _) = shared.value
                    transformInput(padded: padded, band: band, tiles: band.share(worker, of: workers), into: v)
                }
                Parallel.forEach(min(workers, 16)) { worker in
                    let (_, kernel, _, _, v, m) = shared.value
                    for xi in stride(from: worker, to: 16, by: min(workers, 16)) {
                        BLAS.gemm(m: band.tiles, n: cout, k: cin,
                                  a: v + xi * vPlane, lda: cin, b: kernel + xi * cin * cout, ldb: cout,
                                  c: m + xi * mPlane, ldc: cout)
                    }
                }
                Parallel.forEach(workers) { worker in
                    let (_, _, bias, output, _, m) = shared.value
                    transformOutput(m, band: band, tiles: band.share(worker, of: workers), bias: bias, relu: relu, into: output)
                }
            }
        }}}}
    }

    /// V[ξ][t][c] = (Bᵀ d B)[ξ] for the band's tiles `tiles`, 8 channels at a time.
    private func transformInput(padded: UnsafePointer<Float>, band: TileBand, tiles: Range<Int>,
                                into v: UnsafeMutablePointer<Float>) {
        let cin = inChannels, plane = band.vPlane
        let rowLength = (2 * band.tilesWide + 2) * cin
        for t in tiles {
            let tile = band.firstTile + t
            let d = padded + 2 * (tile / band.tilesWide) * rowLength + 2 * (tile % band.tilesWide) * cin
            let out = v + t * cin
            for c in stride(from: 0, to: cin, by: 8) {
                // Bᵀ d: each column of the patch combined as (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
                let col0 = Self.combineForward(d + c, stride: rowLength)
                let col1 = Self.combineForward(d + cin + c, stride: rowLength)
                let col2 = Self.combineForward(d + 2 * cin + c, stride: rowLength)
                let col3 = Self.combineForward(d + 3 * cin + c, stride: rowLength)
                // (Bᵀ d) B: the same combination across columns, row i of the result at ξ = 4i + j.
                for i in 0..<4 {
                    let e0 = col0[i], e1 = col1[i], e2 = col2[i], e3 = col3[i]
                    store8(e0 - e2, out + (4 * i + 0) * plane + c)
                    store8(e1 + e2, out + (4 * i + 1) * plane + c)
                    store8(e2 - e1, out + (4 * i + 2) * plane + c)
                    store8(e1 - e3, out + (4 * i + 3) * plane + c)
                }
            }
        }
    }

    /// Bᵀ applied down one column of 4 patch values (8 channels each), `stride` floats apart.
    @inline(__always)
    private static func combineForward(_ p: UnsafePointer<Float>, stride: Int) -> Quad {
        let d0 = load8(p), d1 = load8(p + stride), d2 = load8(p + 2 * stride), d3 = load8(p + 3 * stride)
        return Quad(d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }

    /// Y = Aᵀ M A for the band's tiles `tiles`, plus bias and ReLU, written to the output pixels
    /// each tile covers.
    private func transformOutput(_ m: UnsafePointer<Float>, band: TileBand, tiles: Range<Int>,
                                 bias: UnsafePointer<Float>, relu: Bool, into output: UnsafeMutablePointer<Float>) {
        let cout = outChannels, plane = band.mPlane
        let floor = relu ? SIMD8<Float>(repeating: 0) : SIMD8<Float>(repeating: -.infinity)
        for t in tiles {
            let tile = band.firstTile + t
            let y = 2 * (tile / band.tilesWide), x = 2 * (tile % band.tilesWide)
            let source = m + t * cout
            let topLeft = output + (y * width + x) * cout
            let hasRight = x + 1 < width, hasBelow = y + 1 < height
            for c in stride(from: 0, to: cout, by: 8) {
                // Aᵀ M: rows combined as (m0 + m1 + m2, m1 − m2 − m3), for each column j.
                let col0 = Self.combineBackward(source + c, stride: 4 * plane)
                let col1 = Self.combineBackward(source + plane + c, stride: 4 * plane)
                let col2 = Self.combineBackward(source + 2 * plane + c, stride: 4 * plane)
                let col3 = Self.combineBackward(source + 3 * plane + c, stride: 4 * plane)
                let b = load8(bias + c)
                store8(pointwiseMax(col0.0 + col1.0 + col2.0 + b, floor), topLeft + c)
                if hasRight { store8(pointwiseMax(col1.0 - col2.0 - col3.0 + b, floor), topLeft + cout + c) }
                if hasBelow {
                    store8(pointwiseMax(col0.1 + col1.1 + col2.1 + b, floor), topLeft + width * cout + c)
                    if hasRight { store8(pointwiseMax(col1.1 - col2.1 - col3.1 + b, floor), topLeft + (width + 1) * cout + c) }
                }
            }
        }
    }

    /// Aᵀ applied down one column of 4 transformed values, `stride` floats apart.
    @inline(__always)
    private static func combineBackward(_ p: UnsafePointer<Float>, stride: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let m0 = load8(p), m1 = load8(p + stride), m2 = load8(p + 2 * stride), m3 = load8(p + 3 * stride)
        return (m0 + m1 + m2, m1 - m2 - m3)
    }
}

/// A run of whole tile rows processed together, and where its planes sit in the scratch buffer.
private struct TileBand {
    let firstTile: Int, tiles: Int, tilesWide: Int, vPlane: Int, mPlane: Int

    /// Worker `worker`'s contiguous share of the band's tiles.
    func share(_ worker: Int, of workers: Int) -> Range<Int> {
        (tiles * worker / workers)..<(tiles * (worker + 1) / workers)
    }
}

/// Four 8-channel vectors: one transformed column of a tile.
private struct Quad {
    let values: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
    init(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>) { values = (a, b, c, d) }
    @inline(__always) subscript(i: Int) -> SIMD8<Float> {
        switch i {
        case 0: return values.0
        case 1: return values.1
        case 2: return values.2
        default: return values.3
        }
    }
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store8(_ value: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Float>.self)
}
