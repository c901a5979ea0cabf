/// Where a training step takes the B·R × ΣT word–region dot products. Both spaces give the same
/// scores and gradients (to float rounding); they differ in cost:
///
///     joint:    v_i = W_m f̂_i + b_m for every region, then v_iᵀ s_t in h dimensions
///               ≈ 2·(B·R)·F·h + ΣT·(B·R)·h multiply-adds
///     feature:  u_t = W_mᵀ s_t for every word, then f̂_iᵀ u_t + b_mᵀ s_t in F dimensions
///               ≈ 3·ΣT·F·h + ΣT·(B·R)·F multiply-adds
///
/// With B·R = 5,000 regions and ΣT ≈ 1,200 words, `feature` is ~30% cheaper at F = h = 512,
/// `joint` cheaper once h is well below F (h = 256: 2.9 vs 3.7 G multiply-adds).
public enum AlignmentScoreSpace: String, Sendable, Codable, CaseIterable {
    /// The cheaper of the two for each batch's sizes.
    case automatic
    /// Embed the regions, v = W_m f̂ + b_m, and take v_iᵀ s_t.
    case joint
    /// Project the words, u = W_mᵀ s, and take f̂_iᵀ u_t + b_mᵀ s_t.
    case feature

    /// The space a batch of `words` words and `regions` regions is scored in.
    func resolved(words: Int, regions: Int, featureSize f: Int, hiddenSize h: Int) -> AlignmentScoreSpace {
        switch self {
        case .joint, .feature:
            return self
        case .automatic:
            let joint = 2 * regions * f * h + words * regions * h
            let feature = 3 * words * f * h + words * regions * f
            return feature < joint ? .feature : .joint
        }
    }
}
