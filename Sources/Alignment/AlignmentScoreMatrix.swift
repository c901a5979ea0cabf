import Tensors

/// The scores of every (image, sentence) pair of an evaluation set, from precomputed embeddings,
/// for retrieval (image annotation: rank a row; image search: rank a column):
///
///     raw[k, l]        = S_kl = Σ_{t ∈ g_l} max_{i ∈ g_k} v_iᵀ s_t      [images, sentences]
///     normalized[k, l] = S_kl / T_l        (0 for an empty sentence)
///
/// All word–region products are GEMM tiles (`WordRegionProducts`) reduced in cache: 1,000 images
/// × 5,000 sentences at h = 512 is ~3 TFLOP of sgemm but never more than a tile of memory.
public struct AlignmentScoreMatrix: Sendable {
    /// S `[images, sentences]`.
    public let raw: Tensor
    /// S / T `[images, sentences]`.
    public let normalized: Tensor

    /// - Parameters:
    ///   - regionEmbeddings: v per image, `[R, h]` each, the same R for all (`embedRegions`).
    ///   - sentenceEmbeddings: s per sentence, `[T, h]` each (`embedSentences`).
    public init(regionEmbeddings: [Tensor], sentenceEmbeddings: [Tensor]) {
        let images = regionEmbeddings.count, sentences = sentenceEmbeddings.count
        let regionCount = regionEmbeddings.first?.shape[0] ?? 1
        let h = regionEmbeddings.first?.shape[1] ?? sentenceEmbeddings.first?.shape[1] ?? 1
        precondition(regionEmbeddings.allSatisfy { $0.shape == [regionCount, h] } && regionCount > 0,
                     "every image needs [R, h] region embeddings with the same R and h")
        precondition(sentenceEmbeddings.allSatisfy { $0.shape.count == 2 && $0.shape[1] == h },
                     "sentence embeddings must be [T, \(h)]")

        // Words stacked sentence by sentence, in blocks of whole sentences: every sentence's sum
        // is then built inside one tile row, so concurrent tiles never add to the same cell.
        var sentenceOfRow = [Int](), blocks = [Range<Int>](), blockStart = 0
        for (sentence, embedding) in sentenceEmbeddings.enumerated() {
            sentenceOfRow += repeatElement(sentence, count: embedding.shape[0])
            if sentenceOfRow.count - blockStart >= WordRegionProducts.rowsPerTile {
                blocks.append(blockStart..<sentenceOfRow.count)
                blockStart = sentenceOfRow.count
            }
        }
        if blockStart < sentenceOfRow.count { blocks.append(blockStart..<sentenceOfRow.count) }
        let words = sentenceEmbeddings.flatMap(\.data)
        let regions = regionEmbeddings.flatMap(\.data)

        var raw = [Float](repeating: 0, count: images * sentences)
        if !words.isEmpty && images > 0 {
            raw.withUnsafeMutableBufferPointer { raw in
                let raw = raw.baseAddress!
                withBaseAddresses([words, regions]) { p in
                    WordRegionProducts.forEachTile(words: p[0], rowBlocks: blocks, regions: p[1], imageCount: images,
                                                   regionsPerImage: regionCount, width: h) { rows, imageRange, products in
                        let columns = imageRange.count * regionCount
                        for (tileRow, row) in rows.enumerated() {
                            let sentence = sentenceOfRow[row]
                            for (tileImage, image) in imageRange.enumerated() {
                                let (score, _) = WordRegionProducts.bestRegion(
                                    products + tileRow * columns + tileImage * regionCount, regionsPerImage: regionCount)
                                raw[image * sentences + sentence] += score
                            }
                        }
                    }
                }
            }
        }
        var normalized = raw
        for (sentence, embedding) in sentenceEmbeddings.enumerated() {
            let length = Float(embedding.shape[0])
            for image in 0..<images {
                normalized[image * sentences + sentence] = length > 0 ? raw[image * sentences + sentence] / length : 0
            }
        }
        self.raw = Tensor(shape: [images, sentences], data: raw)
        self.normalized = Tensor(shape: [images, sentences], data: normalized)
    }
}
