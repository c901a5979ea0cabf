/// 3×3 convolution by Winograd's minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms
/// for Convolutional Neural Networks", CVPR 2016), for output tiles of m = 2 or m = 4 pixels a
/// side: each m×m tile of output pixels is
///
///     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// for the α×α input patch d under the tile (α = m + 2) and the 3×3 filter g, which needs α²
/// multiplies instead of 9m² (16 vs 36 for m = 2, 36 vs 144 for m = 4). Summed over input
/// channels, the ⊙ becomes α² independent matrix products (one per patch position ξ), done by sgemm:
///
///     M[ξ] [T, Cout] = V[ξ] [T, Cin] × U[ξ] [Cin, Cout],   V = Bᵀ d B,  U = G g Gᵀ
///
/// F(2×2, 3×3), interpolation points 0, ±1, ∞:
///
///     Bᵀ = | 1  0 -1  0 |    G = | 1    0    0  |    Aᵀ = | 1  1  1  0 |
///          | 0  1  1  0 |        | 1/2  1/2  1/2 |         | 0  1 -1 -1 |
///          | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
///          | 0  1  0 -1 |        | 0    0    1  |
///
/// F(4×4, 3×3), interpolation points 0, ±1, ±2, ∞ (wincnn's; Lavin & Gray §4.2):
///
///     Bᵀ = | 4  0 -5  0  1  0 |    G = |  1/4    0     0   |    Aᵀ = | 1  1  1  1  1  0 |
///          | 0 -4 -4  1  1  0 |        | -1/6  -1/6  -1/6  |         | 0  1 -1  2 -2  0 |
///          | 0  4 -4 -1  1  0 |        | -1/6   1/6  -1/6  |         | 0  1  1  4  4  0 |
///          | 0 -2 -1  2  1  0 |        |  1/24  1/12  1/6  |         | 0  1 -1  8 -8  1 |
///          | 0  2 -1 -2  1  0 |        |  1/24 -1/12  1/6  |
///          | 0  4  0 -5  0  1 |        |  0     0     1    |
///
/// F(2×2) only adds and subtracts (and halves, on the weights), so it stays within float rounding
/// of the direct convolution. F(4×4)'s larger coefficients lose about one more decimal digit
/// (normalized error ~1e-6 against 1e-7 on a 512-channel layer); the encoder's golden test
/// bounds what that does to pool5. Its kernels are 36/9 = 4× the raw weights (F(2×2): 16/9).
struct WinogradConvolution {
    /// The output tile's side, m; the input patch is α = m + 2 a side.
    enum Tile: Int, Sendable {
        case two = 2, four = 4
        var alpha: Int { rawValue + 2 }
        var positions: Int { alpha * alpha }
    }

    let tile: Tile
    let inChannels: Int, outChannels: Int, height: Int, width: Int

    /// Scratch bytes (V and M) for one band: about the per-core L2 cache, so the transforms and
    /// sgemms pass V and M through cache rather than memory (measured: 1 MiB beats 16 MiB by
    /// ~25% on conv1_2)...
    static let bandBytes = 1 << 20
    /// ...but at least this many tiles, the sgemms' row count: below it their fixed cost
    /// dominates on the deep 28 × 28 and 14 × 14 layers, whose tile rows are short.
    static let minimumTilesPerBand = 128
    /// Gap between the α² planes of V and of M. Without it the planes sit a multiple of 4 KiB
    /// apart and the transforms' loads or stores all hit the same L1 cache set.
    static let planeGap = 32

    var tilesHigh: Int { (height + tile.rawValue - 1) / tile.rawValue }
    var tilesWide: Int { (width + tile.rawValue - 1) / tile.rawValue }
    /// Floats of one edge tile's zero-padded α×α×Cin patch (see `transformInput`).
    var patchCount: Int { tile.positions * inChannels }

    /// OIHW weights `[Cout, Cin, 3, 3]` → U as `[α², Cin, Cout]`: U[ξ = αi + j][ci][co] = (G g Gᵀ)[i][j],
    /// 8 output channels at a time.
    static func kernel(_ weight: Tensor, tile: Tile) -> [Float] {
        let cout = weight.shape[0], cin = weight.shape[1], alpha = tile.alpha
        precondition(cout % 8 == 0, "Winograd kernels need Cout divisible by 8")
        let g: [[Float]] = switch tile {
        case .two: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        case .four: [[0.25, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                     [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        }
        return [Float](unsafeUninitializedCapacity: alpha * alpha * cin * cout) { kernel, count in
            weight.data.withUnsafeBufferPointer { w in
                // Gg (α × 3) for one (ci, 8 × co) block, then (Gg)Gᵀ straight into U.
                withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 9 + 3 * alpha) { scratch in
                    let taps = scratch.baseAddress!, gg = taps + 9
                    for ci in 0..<cin {
                        for co in stride(from: 0, to: cout, by: 8) {
                            for tap in 0..<9 {
                                var lanes = SIMD8<Float>()
                                for lane in 0..<8 { lanes[lane] = w[((co + lane) * cin + ci) * 9 + tap] }
                                taps[tap] = lanes
                            }
                            for i in 0..<alpha {
                                for s in 0..<3 { gg[3 * i + s] = g[i][0] * taps[s] + g[i][1] * taps[3 + s] + g[i][2] * taps[6 + s] }
                            }
                            for i in 0..<alpha {
                                for j in 0..<alpha {
                                    let u = gg[3 * i] * g[j][0] + gg[3 * i + 1] * g[j][1] + gg[3 * i + 2] * g[j][2]
                                    store8(u, kernel.baseAddress! + ((alpha * i + j) * cin + ci) * cout + co)
                                }
                            }
                        }
                    }
                }
            }
            count = alpha * alpha * cin * cout
        }
    }

    /// `input` is `[H, W, Cin]`, `kernel` `[α², Cin, Cout]`, `output` `[H, W, Cout]`. The zero
    /// padding is never materialized: interior tiles read the input in place, and only the edge
    /// tiles gather their patch into a small zero-filled buffer (a padded copy of conv1_2's
    /// input was 13 MB written, and ~40% of the encoder's page faults).
    ///
    /// The image is cut into bands of whole tile rows, each band's V and M sized to stay in cache.
    /// `split` says how workers share them: `.bands` gives each worker whole bands (its own
    /// scratch, no synchronization: best when there are several bands per worker); `.steps` runs
    /// the bands one after another and splits each of the three steps (input transform, α²
    /// sgemms by ξ, output transform) across the workers, with a barrier after each.
    func run(input: UnsafePointer<Float>, kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>,
             relu: Bool, workers: Int, split: Conv2D.Split, output: UnsafeMutablePointer<Float>) {
        let cin = inChannels, cout = outChannels, positions = tile.positions
        let tilesHigh = tilesHigh, tilesWide = tilesWide
        let rowsByBytes = Self.bandBytes / (positions * tilesWide * (cin + cout) * 4)
        let rowsByTiles = (Self.minimumTilesPerBand + tilesWide - 1) / tilesWide
        let targetRows = max(1, rowsByBytes, rowsByTiles)
        // Even out the bands so the last one is not a sliver.
        let bands = (tilesHigh + targetRows - 1) / targetRows
        let rowsPerBand = (tilesHigh + bands - 1) / bands
        let bandCount = (tilesHigh + rowsPerBand - 1) / rowsPerBand
        let maxTiles = rowsPerBand * tilesWide
        let vPlane = maxTiles * cin + Self.planeGap, mPlane = maxTiles * cout + Self.planeGap
        let scratchCount = positions * (vPlane + mPlane) + patchCount
        let shared = UncheckedSendable((input, kernel, bias, output))
        func band(_ index: Int) -> TileBand {
            let firstRow = index * rowsPerBand
            return TileBand(firstTile: firstRow * tilesWide,
                            tiles: (min(tilesHigh, firstRow + rowsPerBand) - firstRow) * tilesWide,
                            tilesWide: tilesWide, vPlane: vPlane, mPlane: mPlane)
        }
        if split == .bands || workers == 1 {
            let workerCount = min(workers, bandCount)
            Parallel.forEach(workerCount) { worker in
                let (input, kernel, bias, output) = shared.value
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
                defer { scratch.deallocate() }
                let v = scratch, m = scratch + positions * vPlane, patch = m + positions * mPlane
                for index in stride(from: worker, to: bandCount, by: workerCount) {
                    let band = band(index)
                    transformInput(input, band: band, tiles: 0..<band.tiles, patch: patch, into: v)
                    for xi in 0..<positions {
                        BLAS.gemm(m: band.tiles, n: cout, k: cin, a: v + xi * vPlane, lda: cin,
                                  b: kernel + xi * cin * cout, ldb: cout, c: m + xi * mPlane, ldc: cout)
                    }
                    transformOutput(m, band: band, tiles: 0..<band.tiles, bias: bias, relu: relu, into: output)
                }
            }
            return
        }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount + workers * patchCount)
        defer { scratch.deallocate() }
        let patches = scratch + scratchCount
        let planes = UncheckedSendable((scratch, scratch + positions * vPlane, patches))
        for index in 0..<bandCount {
            let band = band(index)
            Parallel.forEach(workers) { worker in
                transformInput(shared.value.0, band: band, tiles: band.share(worker, of: workers),
                               patch: planes.value.2 + worker * patchCount, into: planes.value.0)
            }
            let gemmWorkers = min(workers, positions)
            Parallel.forEach(gemmWorkers) { worker in
                let (v, m, _) = planes.value
                for xi in stride(from: worker, to: positions, by: gemmWorkers) {
                    BLAS.gemm(m: band.tiles, n: cout, k: cin, a: v + xi * vPlane, lda: cin,
                              b: shared.value.1 + xi * cin * cout, ldb: cout, c: m + xi * mPlane, ldc: cout)
                }
            }
            Parallel.forEach(workers) { worker in
                let (_, _, bias, output) = shared.value
                transformOutput(planes.value.1, band: band, tiles: band.share(worker, of: workers),
                                bias: bias, relu: relu, into: output)
            }
        }
    }

    /// V[ξ][t][c] = (Bᵀ d B)[ξ] for the band's tiles `tiles`. Tile (r, s)'s patch d starts at
    /// input pixel (m·r − 1, m·s − 1); one that reaches past an edge is first copied into `patch`
    /// (α × α × Cin) with zeros outside the image.
    func transformInput(_ input: UnsafePointer<Float>, band: TileBand, tiles: Range<Int>,
                        patch: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>) {
        let cin = inChannels, m = tile.rawValue, alpha = tile.alpha
        for t in tiles {
            let tileIndex = band.firstTile + t
            let top = m * (tileIndex / band.tilesWide) - 1, left = m * (tileIndex % band.tilesWide) - 1
            if top >= 0 && left >= 0 && top + alpha <= height && left + alpha <= width {
                transformPatch(input + (top * width + left) * cin, rowLength: width * cin, into: v + t * cin, plane: band.vPlane)
                continue
            }
            patch.initialize(repeating: 0, count: alpha * alpha * cin)
            let first = max(0, left), last = min(width, left + alpha)
            for r in 0..<alpha where (0..<height).contains(top + r) && first < last {
                (patch + (r * alpha + first - left) * cin).update(from: input + ((top + r) * width + first) * cin,
                                                                   count: (last - first) * cin)
            }
            transformPatch(patch, rowLength: alpha * cin, into: v + t * cin, plane: band.vPlane)
        }
    }

    /// V = Bᵀ d B for one α × α patch d whose rows are `rowLength` floats apart (pixels `Cin`
    /// apart), 8 channels at a time, written at `out + ξ·plane`.
    func transformPatch(_ d: UnsafePointer<Float>, rowLength: Int, into out: UnsafeMutablePointer<Float>, plane: Int) {
        let cin = inChannels
        switch tile {
        case .two:
            for c in stride(from: 0, to: cin, by: 8) {
                // Bᵀ d down each column, then the same combination across each row i of Bᵀ d.
                let col0 = Self.forward4(d + c, stride: rowLength)
                let col1 = Self.forward4(d + cin + c, stride: rowLength)
                let col2 = Self.forward4(d + 2 * cin + c, stride: rowLength)
                let col3 = Self.forward4(d + 3 * cin + c, stride: rowLength)
                for i in 0..<4 {
                    let row = Self.forward4(col0[i], col1[i], col2[i], col3[i])
                    for j in 0..<4 { store8(row[j], out + (4 * i + j) * plane + c) }
                }
            }
        case .four:
            for c in stride(from: 0, to: cin, by: 8) {
                let p = d + c
                let col0 = Self.forward6(p, stride: rowLength), col1 = Self.forward6(p + cin, stride: rowLength)
                let col2 = Self.forward6(p + 2 * cin, stride: rowLength), col3 = Self.forward6(p + 3 * cin, stride: rowLength)
                let col4 = Self.forward6(p + 4 * cin, stride: rowLength), col5 = Self.forward6(p + 5 * cin, stride: rowLength)
                for i in 0..<6 {
                    let row = Self.forward6(col0[i], col1[i], col2[i], col3[i], col4[i], col5[i])
                    let target = out + 6 * i * plane + c
                    for j in 0..<6 { store8(row[j], target + j * plane) }
                }
            }
        }
    }

    /// Y = Aᵀ M A for the band's tiles `tiles`, plus bias and ReLU, written to the output pixels
    /// each tile covers (a tile past the right or bottom edge writes only its pixels inside).
    func transformOutput(_ mPlanes: UnsafePointer<Float>, band: TileBand, tiles: Range<Int>,
                         bias: UnsafePointer<Float>, relu: Bool, into output: UnsafeMutablePointer<Float>) {
        let cout = outChannels, plane = band.mPlane, m = tile.rawValue, alpha = tile.alpha
        for t in tiles {
            let tileIndex = band.firstTile + t
            let y = m * (tileIndex / band.tilesWide), x = m * (tileIndex % band.tilesWide)
            let source = mPlanes + t * cout
            let topLeft = output + (y * width + x) * cout
            let rows = min(m, height - y), columns = min(m, width - x)
            for c in stride(from: 0, to: cout, by: 8) {
                let b = load8(bias + c)
                // Aᵀ M down each column j (α values, α·plane apart), then across each output row.
                switch tile {
                case .two:
                    let col0 = Self.backward4(source + c, stride: alpha * plane)
                    let col1 = Self.backward4(source + plane + c, stride: alpha * plane)
                    let col2 = Self.backward4(source + 2 * plane + c, stride: alpha * plane)
                    let col3 = Self.backward4(source + 3 * plane + c, stride: alpha * plane)
                    for r in 0..<rows {
                        let row = Self.backward4(col0[r], col1[r], col2[r], col3[r])
                        for s in 0..<columns { store8(activated(row[s] + b, relu), topLeft + (r * width + s) * cout + c) }
                    }
                case .four:
                    let p = source + c, step = alpha * plane
                    let col0 = Self.backward6(p, stride: step), col1 = Self.backward6(p + plane, stride: step)
                    let col2 = Self.backward6(p + 2 * plane, stride: step), col3 = Self.backward6(p + 3 * plane, stride: step)
                    let col4 = Self.backward6(p + 4 * plane, stride: step), col5 = Self.backward6(p + 5 * plane, stride: step)
                    for r in 0..<rows {
                        let row = Self.backward6(col0[r], col1[r], col2[r], col3[r], col4[r], col5[r])
                        let target = topLeft + r * width * cout + c
                        for s in 0..<columns { store8(activated(row[s] + b, relu), target + s * cout) }
                    }
                }
            }
        }
    }

    // MARK: The 1-D transforms, 8 channels at a time

    /// Bᵀ for F(2×2): (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
    @inline(__always)
    static func forward4(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>) -> Four {
        Four(d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }

    @inline(__always)
    static func forward4(_ p: UnsafePointer<Float>, stride: Int) -> Four {
        forward4(load8(p), load8(p + stride), load8(p + 2 * stride), load8(p + 3 * stride))
    }

    /// Aᵀ for F(2×2): (m0 + m1 + m2, m1 − m2 − m3).
    @inline(__always)
    static func backward4(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>) -> Four {
        let zero = SIMD8<Float>()
        return Four(m0 + m1 + m2, m1 - m2 - m3, zero, zero)
    }

    @inline(__always)
    static func backward4(_ p: UnsafePointer<Float>, stride: Int) -> Four {
        backward4(load8(p), load8(p + stride), load8(p + 2 * stride), load8(p + 3 * stride))
    }

    /// Bᵀ for F(4×4), rows of the matrix in the doc comment, sharing the common sums.
    @inline(__always)
    static func forward6(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>,
                         _ d3: SIMD8<Float>, _ d4: SIMD8<Float>, _ d5: SIMD8<Float>) -> Six {
        let four: SIMD8<Float> = .init(repeating: 4), five: SIMD8<Float> = .init(repeating: 5), two: SIMD8<Float> = .init(repeating: 2)
        let a = d4 - four * d2          // −4d2 + d4
        let b = d3 - four * d1          // −4d1 + d3
        let c = d4 - d2                 // −d2 + d4
        let e = two * (d3 - d1)         // −2d1 + 2d3
        return Six(four * d0 - five * d2 + d4, a + b, a - b, c + e, c - e, four * d1 - five * d3 + d5)
    }

    @inline(__always)
    static func forward6(_ p: UnsafePointer<Float>, stride: Int) -> Six {
        forward6(load8(p), load8(p + stride), load8(p + 2 * stride), load8(p + 3 * stride),
                 load8(p + 4 * stride), load8(p + 5 * stride))
    }

    /// Aᵀ for F(4×4): (Σ₀⁴ mᵢ, s₁ + 2s₂, a₁ + 4a₂, s₁ + 8s₂ + m5) with a = m1 + m2, m3 + m4 and
    /// s = m1 − m2, m3 − m4; the two last lanes unused.
    @inline(__always)
    static func backward6(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>,
                          _ m3: SIMD8<Float>, _ m4: SIMD8<Float>, _ m5: SIMD8<Float>) -> Six {
        let a1 = m1 + m2, a2 = m3 + m4, s1 = m1 - m2, s2 = m3 - m4
        let zero = SIMD8<Float>()
        return Six(m0 + a1 + a2, s1 + 2 * s2, a1 + 4 * a2, s1 + 8 * s2 + m5, zero, zero)
    }

    @inline(__always)
    static func backward6(_ p: UnsafePointer<Float>, stride: Int) -> Six {
        backward6(load8(p), load8(p + stride), load8(p + 2 * stride), load8(p + 3 * stride),
                  load8(p + 4 * stride), load8(p + 5 * stride))
    }
}

/// A run of whole tile rows processed together, and where its planes sit in the scratch buffer.
struct TileBand {
    let firstTile: Int, tiles: Int, tilesWide: Int, vPlane: Int, mPlane: Int

    /// Worker `worker`'s contiguous share of the band's tiles.
    func share(_ worker: Int, of workers: Int) -> Range<Int> {
        (tiles * worker / workers)..<(tiles * (worker + 1) / workers)
    }
}

/// Four 8-channel vectors: one transformed column of an F(2×2) tile.
struct Four {
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

/// Six 8-channel vectors: one transformed column of an F(4×4) tile.
struct Six {
    let values: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
    init(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>, _ e: SIMD8<Float>, _ f: SIMD8<Float>) {
        values = (a, b, c, d, e, f)
    }
    @inline(__always) subscript(i: Int) -> SIMD8<Float> {
        switch i {
        case 0: return values.0
        case 1: return values.1
        case 2: return values.2
        case 3: return values.3
        case 4: return values.4
        default: return values.5
        }
    }
}

/// max(v, 0) when `relu`: one compare and blend (the stdlib's `pointwiseMax` stays an
/// out-of-line generic call).
@inline(__always)
func activated(_ v: SIMD8<Float>, _ relu: Bool) -> SIMD8<Float> {
    guard relu else { return v }
    var v = v
    v.replace(with: 0, where: v .< 0)
    return v
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ value: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Float>.self)
}
