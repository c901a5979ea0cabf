import Tensors

/// Every word–region dot product of a set of words against a set of images, computed tile by
/// tile as GEMMs and handed to a reduction while still in cache:
///
///     P[t, (k, i)] = q_t · r_{k,i}     word rows q [N, d], region rows r [K·R, d] (image k's R
///                                      rows contiguous); one tile = rows × (images · R)
///
/// (q, r) = (s, v) in the joint space, (W_mᵀ s, f̂) in feature space (`AlignmentScoreSpace`).
/// The full P (ΣT × B·50 in training, 60k × 50k for 1k-image retrieval) never exists: each
/// worker multiplies one tile into its own scratch and `reduce` immediately takes the max over
/// each image's regions (paper eq. 8), so memory stays at a tile per core.
enum WordRegionProducts {
    /// Images per tile: 8 × 50 regions = 400 columns, a shape OpenBLAS runs near peak, and a
    /// 256 × 400 scratch tile (400 KB) that stays in L2.
    static let imagesPerTile = 8
    /// Word rows per tile when the caller doesn't need blocks aligned to sentences.
    static let rowsPerTile = 256

    /// Row blocks of at most `rowsPerTile` rows covering 0..<rowCount.
    static func uniformBlocks(rowCount: Int) -> [Range<Int>] {
        stride(from: 0, to: rowCount, by: rowsPerTile).map { $0..<min(rowCount, $0 + rowsPerTile) }
    }

    /// Calls `reduce(rows, images, products)` for every (row block, image block) pair, spread
    /// over the cores; `products` is the tile `[rows.count, images.count · R]` row-major, valid
    /// only during the call. Calls run concurrently: `reduce` must write only memory that
    /// belongs to its own tile.
    static func forEachTile(words: UnsafePointer<Float>, rowBlocks: [Range<Int>],
                            regions: UnsafePointer<Float>, imageCount: Int, regionsPerImage: Int, width: Int,
                            reduce: (Range<Int>, Range<Int>, UnsafePointer<Float>) -> Void) {
        let d = width, r = regionsPerImage
        let imageBlocks = stride(from: 0, to: imageCount, by: imagesPerTile).map { $0..<min(imageCount, $0 + imagesPerTile) }
        let tiles = rowBlocks.count * imageBlocks.count
        guard tiles > 0, r > 0 else { return }
        let maxRows = rowBlocks.map(\.count).max()!
        let workers = min(Parallel.workers, tiles)
        Parallel.forEach(workers) { worker in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, maxRows * imagesPerTile * r))
            defer { scratch.deallocate() }
            // Tiles in row-major order, dealt round-robin: neighbouring tiles share a row block,
            // so both workers stream the same words while each reads its own regions.
            for tile in stride(from: worker, to: tiles, by: workers) {
                let rows = rowBlocks[tile / imageBlocks.count], images = imageBlocks[tile % imageBlocks.count]
                guard !rows.isEmpty else { continue }
                let columns = images.count * r
                BLAS.gemm(transB: true, m: rows.count, n: columns, k: d, a: words + rows.lowerBound * d, lda: d,
                          b: regions + images.lowerBound * r * d, ldb: d, c: scratch, ldc: columns)
                reduce(rows, images, scratch)
            }
        }
    }

    /// max and argmax over each image's R products in a tile row (first index on ties).
    @inline(__always)
    static func bestRegion(_ products: UnsafePointer<Float>, regionsPerImage: Int) -> (score: Float, region: Int) {
        var best = products[0], bestIndex = 0
        for i in 1..<max(1, regionsPerImage) where products[i] > best {
            best = products[i]
            bestIndex = i
        }
        return (best, bestIndex)
    }
}
