/// How one sentence aligns with one image (paper eq. 8):
///
///     raw = S_kl = Σ_t max_i v_iᵀ s_t,     normalized = raw / T,     alignment[t] = argmax_i v_iᵀ s_t
public struct PairAlignment: Sendable, Equatable {
    /// S_kl, the score the ranking objective is trained on; grows with sentence length.
    public var raw: Float
    /// S_kl / T (0 for an empty sentence): comparable across sentences of different lengths,
    /// for reporting.
    public var normalized: Float
    /// For each word, the index of its best region (`ImageRegions`: 0..<49 grid cells, 49 the
    /// whole image).
    public var alignment: [Int]
    /// For each word, v_iᵀ s_t at that region: how strongly the word is grounded there.
    public var wordScores: [Float]

    public init(raw: Float, normalized: Float, alignment: [Int], wordScores: [Float]) {
        self.raw = raw
        self.normalized = normalized
        self.alignment = alignment
        self.wordScores = wordScores
    }
}
