import Tensors

/// One training batch's scores S `[B, B]` (paper eq. 8) and the way back from ∂C/∂S to the
/// word vectors s and to W_m, b_m, in whichever `AlignmentScoreSpace` is cheaper: the part of
/// `AlignmentModel.loss` that touches regions.
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

    /// - Parameters:
    ///   - normalized: f̂ of the K images' regions, `[K·R, F]`.
    ///   - words: s `[N, h]`, packed as `packed`.
    init(embedding: RegionEmbedding, normalized: FloatBuffer, regionsPerImage: Int, words: FloatBuffer,
         packed: PackedSentences, space requested: AlignmentScoreSpace) {
        let n = packed.rowCount, images = normalized.count / embedding.featureSize / regionsPerImage
        space = requested.resolved(words: n, regions: images * regionsPerImage,
                                   featureSize: embedding.featureSize, hiddenSize: embedding.hiddenSize)
        self.embedding = embedding
        self.normalized = normalized
        self.words = words
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
            let (wordGradient, _) = pass.backward(scoreGradient: scoreGradient, regions: mapped.pointer)
            let regionGradient = pass.regionGradient(scoreGradient: scoreGradient, words: words.pointer)
            let (weight, bias) = embedding.backward(normalized: normalized, embeddedGradient: regionGradient)
            return (wordGradient, weight, bias)
        }
    }
}
