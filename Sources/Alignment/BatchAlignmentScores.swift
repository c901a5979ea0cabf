import Tensors

/// The image–sentence scores of a training batch (paper eq. 8, the simplified score),
///
///     S_kl = Σ_{t ∈ g_l} max_{i ∈ g_k} v_iᵀ s_t          S [K images, L sentences]
///
/// from word rows q_t and region rows r_i of a common width d, as max_i r_iᵀ q_t + o_t:
///
/// - joint space: q = s `[N, h]`, r = v `[K·R, h]`, o = 0;
/// - feature space (`RegionEmbedding`): q = u = W_mᵀ s `[N, F]`, r = f̂ `[K·R, F]`, o_t = b_mᵀ s_t,
///   which is the same for every region, so it is added after the max.
///
/// The region chosen for every (word, image) is kept, as it is where the max sends its
/// gradient: a subgradient, the first region on a tie.
struct BatchAlignmentScores {
    let imageCount: Int, regionsPerImage: Int, width: Int
    /// Batch index of the sentence of each word row.
    let sentenceOfRow: [Int]
    let sentenceCount: Int
    /// a(t, k), `[N, K]`.
    let bestRegion: [Int32]
    /// S, `[K, L]` image-major.
    let sentenceScores: [Float]

    /// - Parameters:
    ///   - words: q `[N, d]`, rows as in `sentenceOfRow`.
    ///   - offsets: o `[N]`, or empty for none.
    ///   - regions: r `[K·R, d]`.
    init(words: UnsafePointer<Float>, offsets: [Float], sentenceOfRow: [Int], sentenceCount: Int,
         regions: UnsafePointer<Float>, imageCount: Int, regionsPerImage: Int, width: Int) {
        self.imageCount = imageCount
        self.regionsPerImage = regionsPerImage
        self.width = width
        self.sentenceOfRow = sentenceOfRow
        self.sentenceCount = sentenceCount
        let n = sentenceOfRow.count, k = imageCount, r = regionsPerImage
        var best = [Float](repeating: 0, count: n * k)
        var bestRegion = [Int32](repeating: 0, count: n * k)
        best.withUnsafeMutableBufferPointer { best in
            bestRegion.withUnsafeMutableBufferPointer { bestRegion in
                let best = best.baseAddress!, bestRegion = bestRegion.baseAddress!
                // Each tile writes its own (row, image) cells of best and bestRegion.
                WordRegionProducts.forEachTile(
                    words: words, rowBlocks: WordRegionProducts.uniformBlocks(rowCount: n), regions: regions,
                    imageCount: k, regionsPerImage: r, width: width
                ) { rows, images, products in
                    let columns = images.count * r
                    for (tileRow, row) in rows.enumerated() {
                        for (tileImage, image) in images.enumerated() {
                            let (score, region) = WordRegionProducts.bestRegion(
                                products + tileRow * columns + tileImage * r, regionsPerImage: r)
                            best[row * k + image] = score
                            bestRegion[row * k + image] = Int32(region)
                        }
                    }
                }
            }
        }
        var scores = [Float](repeating: 0, count: k * sentenceCount)
        for row in 0..<n {
            let sentence = sentenceOfRow[row], offset = offsets.isEmpty ? 0 : offsets[row]
            for image in 0..<k { scores[image * sentenceCount + sentence] += best[row * k + image] + offset }
        }
        self.bestRegion = bestRegion
        self.sentenceScores = scores
    }

    /// ∂C/∂q `[N, d]` and ∂C/∂o `[N]` from ∂C/∂S (`scoreGradient`, `[K, L]`), with
    /// c_tk = ∂C/∂S_{k,l(t)}:
    ///
    ///     ∂C/∂q_t = Σ_k c_tk · r_{k,a(t,k)}          ∂C/∂o_t = Σ_k c_tk
    ///
    /// Each (word, image) pair touches one region, so the first is a sparse sum of ΣT·K region
    /// rows, not a GEMM: a dense product with the mostly-zero [N, K·R] matrix would cost R times
    /// more. Rows are split across cores.
    func backward(scoreGradient: [Float], regions: UnsafePointer<Float>) -> (words: FloatBuffer, offsets: [Float]) {
        let n = sentenceOfRow.count, k = imageCount, r = regionsPerImage, d = width, l = sentenceCount
        let wordGradient = FloatBuffer(count: n * d)
        var offsetGradient = [Float](repeating: 0, count: n)
        let workers = Parallel.workers
        scoreGradient.withUnsafeBufferPointer { scoreGradient in
            bestRegion.withUnsafeBufferPointer { bestRegion in
                offsetGradient.withUnsafeMutableBufferPointer { offsetGradient in
                    let dS = scoreGradient.baseAddress!, argmax = bestRegion.baseAddress!
                    let offsetTarget = offsetGradient.baseAddress!
                    let band = (n + workers - 1) / workers
                    Parallel.forEach(workers) { worker in
                        for row in (worker * band)..<min(n, (worker + 1) * band) {
                            let sentence = sentenceOfRow[row], target = wordGradient.pointer + row * d
                            var sum: Float = 0
                            for image in 0..<k {
                                let coefficient = dS[image * l + sentence]
                                if coefficient == 0 { continue }
                                sum += coefficient
                                let region = regions + (image * r + Int(argmax[row * k + image])) * d
                                RowKernels.addScaled(coefficient, region, to: target, count: d)
                            }
                            offsetTarget[row] = sum
                        }
                    }
                }
            }
        }
        return (wordGradient, offsetGradient)
    }

    /// ∂C/∂r `[K·R, d]` (joint space: ∂C/∂v), the other side of each product:
    ///
    ///     ∂C/∂r_{k,i} = Σ_{t : a(t,k) = i} c_tk · q_t
    ///
    /// Images are dealt to cores round-robin, so no two workers write the same region row.
    func regionGradient(scoreGradient: [Float], words: UnsafePointer<Float>) -> FloatBuffer {
        let n = sentenceOfRow.count, k = imageCount, r = regionsPerImage, d = width, l = sentenceCount
        let gradient = FloatBuffer(count: k * r * d)
        let workers = Parallel.workers
        scoreGradient.withUnsafeBufferPointer { scoreGradient in
            bestRegion.withUnsafeBufferPointer { bestRegion in
                let dS = scoreGradient.baseAddress!, argmax = bestRegion.baseAddress!
                Parallel.forEach(workers) { worker in
                    for image in stride(from: worker, to: k, by: workers) {
                        for row in 0..<n {
                            let coefficient = dS[image * l + sentenceOfRow[row]]
                            if coefficient == 0 { continue }
                            let target = gradient.pointer + (image * r + Int(argmax[row * k + image])) * d
                            RowKernels.addScaled(coefficient, words + row * d, to: target, count: d)
                        }
                    }
                }
            }
        }
        return gradient
    }
}
