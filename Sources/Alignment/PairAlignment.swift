/// How one sentence aligns with one image (paper eq. 8):
///
///     raw = S_kl = Σ_t max_i v_iᵀ s_t,     normalized = raw / T,     alignment[t] = argmax_i v_iᵀ s_t
public struct PairAlignment: Sendable, Equatable {
    /// S_kl, the score the ranking objective is trained on; grows with sentence length.
    public var raw: Float
    /// S_kl / T (0 for an empty sentence): comparable across sentences of different lengths,
    /// for reporting.
    public var normalized: Float
    /// For each word, the index of its best region (`ImageRegions`: 0..<grid² grid cells, grid²
    /// the whole image).
    public var alignment: [Int]
    /// For each word, v_iᵀ s_t at that region: how strongly the word is grounded there.
    public var wordScores: [Float]
    /// The side of the region grid the indices refer to: 7 (pool5) or 14 (conv5_3).
    public var regionGrid: Int

    public init(raw: Float, normalized: Float, alignment: [Int], wordScores: [Float], regionGrid: Int = 7) {
        self.raw = raw
        self.normalized = normalized
        self.alignment = alignment
        self.wordScores = wordScores
        self.regionGrid = regionGrid
    }

    /// The grid whose cells plus the whole image make `regionCount` regions (7 for 50, 14 for
    /// 197); 7 for any other count, as pool5 is the default.
    static func grid(regionCount: Int) -> Int {
        let side = Int(Double(max(0, regionCount - 1)).squareRoot().rounded())
        return side * side + 1 == regionCount ? side : 7
    }
}
