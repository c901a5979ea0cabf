import Tensors

/// One training batch's scores S `[B, B]` (paper eq. 8) and the way back from ∂C/∂S to the
/// word vectors s and to W_m, b_m, in whichever `AlignmentScoreSpace` is cheaper: the part of
/// `AlignmentModel.loss` that touches regions. With normalized embeddings the products are
/// cosines v̂_iᵀ ŝ_t (`RowNormalization` on both sides), which only the joint space can form.
struct BatchScoring {
    /// S `[K images, L sentences]`.
    let scores: [Float]
    private let pass: BatchAlignmentScores
    private let space: AlignmentScoreSpace
    private let embedding: RegionEmbedding
    private let normalized: FloatBuffer
    /// s `[N, h]`.
    private let words: FloatBuffer
    /// v `[K·R, h]` (joint space) or u `[N, F]` (feature space).
    private let mapped: FloatBuffer
    /// ŝ and v̂ when the embeddings are normalized.
    private let unitWords: RowNormalization?, unitRegions: RowNormalization?

    /// - Parameters:
    ///   - normalized: f̂ of the K images' regions, `[K·R, F]`.
    ///   - words: s `[N, h]`, packed as `packed`.
    init(embedding: RegionEmbedding, normalized: FloatBuffer, regionsPerImage: Int, words: FloatBuffer,
         packed: PackedSentences, space requested: AlignmentScoreSpace, normalizesEmbeddings: Bool = false) {
        let n = packed.rowCount, images = normalized.count / embedding.featureSize / regionsPerImage
        space = normalizesEmbeddings ? .joint : requested.resolved(words: n, regions: images * regionsPerImage,
                                                                  featureSize: embedding.featureSize, hiddenSize: embedding.hiddenSize)
        self.embedding = embedding
        self.normalized = normalized
        self.words = words
        if normalizesEmbeddings {
            let h = embedding.hiddenSize
            mapped = embedding.embed(normalized)
            let unitWords = RowNormalization(words.pointer, count: n, width: h)
            let unitRegions = RowNormalization(mapped.pointer, count: images * regionsPerImage, width: h)
            self.unitWords = unitWords
            self.unitRegions = unitRegions
            pass = BatchAlignmentScores(words: unitWords.output.pointer, offsets: [], sentenceOfRow: packed.sentenceOfRow,
                                        sentenceCount: packed.sentenceCount, regions: unitRegions.output.pointer,
                                        imageCount: images, regionsPerImage: regionsPerImage, width: h)
            scores = pass.sentenceScores
            return
        }
        unitWords = nil
        unitRegions = nil
        switch space {
        case .feature:
            let (projected, offsets) = embedding.projectWords(words.pointer, count: n)
            mapped = projected
            pass = BatchAlignmentScores(words: projected.pointer, offsets: offsets, sentenceOfRow: packed.sentenceOfRow,
                                        sentenceCount: packed.sentenceCount, regions: normalized.pointer,
                                        imageCount: images, regionsPerImage: regionsPerImage,
                                        width: embedding.featureSize)
        default:
            mapped = embedding.embed(normalized)
            pass = BatchAlignmentScores(words: words.pointer, offsets: [], sentenceOfRow: packed.sentenceOfRow,
                                        sentenceCount: packed.sentenceCount, regions: mapped.pointer,
                                        imageCount: images, regionsPerImage: regionsPerImage,
                                        width: embedding.hiddenSize)
        }
        scores = pass.sentenceScores
    }

    /// ∂C/∂s `[N, h]`, ∂C/∂W_m, ∂C/∂b_m from ∂C/∂S `[K, L]`.
    func backward(scoreGradient: [Float]) -> (words: FloatBuffer, weight: FloatBuffer, bias: FloatBuffer) {
        switch space {
        case .feature:
            let (projectedGradient, offsetGradient) = pass.backward(scoreGradient: scoreGradient, regions: normalized.pointer)
            return embedding.backwardProjection(words: words.pointer, count: pass.sentenceOfRow.count,
                                                projectedGradient: projectedGradient, offsetGradient: offsetGradient)
        default:
            // The products' two sides: ŝ and v̂ when normalized, else s and v.
            let (wordGradient, _) = pass.backward(scoreGradient: scoreGradient,
                                                  regions: unitRegions?.output.pointer ?? mapped.pointer)
            let regionGradient = pass.regionGradient(scoreGradient: scoreGradient,
                                                     words: unitWords?.output.pointer ?? words.pointer)
            unitWords?.backward(wordGradient.pointer)
            unitRegions?.backward(regionGradient.pointer)
            let (weight, bias) = embedding.backward(normalized: normalized, embeddedGradient: regionGradient)
            return (wordGradient, weight, bias)
        }
    }
}
