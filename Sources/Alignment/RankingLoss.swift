import Tensors

/// The bidirectional max-margin ranking objective of the paper (eq. 9) over a minibatch of B
/// corresponding (image k, sentence k) pairs, from their scores S `[B images, B sentences]`:
///
///     C = Σ_k [ Σ_{l≠k} max(0, S_kl − S_kk + Δ)      rank sentences for image k
///             + Σ_{l≠k} max(0, S_lk − S_kk + Δ) ]    rank images for sentence k
///
/// Every true pair must beat every other sentence of its image's row and every other image of
/// its sentence's column by the margin Δ (1 in the paper). The l = k terms of the paper's sums
/// are left out: each is the constant max(0, Δ) with zero gradient, so C here is the paper's C
/// minus 2BΔ and reaches 0 once the batch is ranked with margin. The sum is not divided by B.
public enum RankingLoss {
    /// C and ∂C/∂S `[B, B]` (a subgradient: a hinge exactly at 0 counts as inactive).
    public static func evaluate(scores: Tensor, margin: Float) -> (loss: Float, gradient: Tensor) {
        precondition(scores.shape.count == 2 && scores.shape[0] == scores.shape[1],
                     "RankingLoss expects square [B, B] scores, got \(scores.shape)")
        let b = scores.shape[0]
        let s = scores.data
        var gradient = [Float](repeating: 0, count: b * b)
        // Accumulated in Double: at B = 100 there are ~20k hinge terms.
        var loss: Double = 0
        for k in 0..<b {
            let diagonal = s[k * b + k]
            for l in 0..<b where l != k {
                // Sentence l ranked against image k's own sentence.
                let annotation = s[k * b + l] - diagonal + margin
                if annotation > 0 {
                    loss += Double(annotation)
                    gradient[k * b + l] += 1
                    gradient[k * b + k] -= 1
                }
                // Image l ranked against sentence k's own image.
                let search = s[l * b + k] - diagonal + margin
                if search > 0 {
                    loss += Double(search)
                    gradient[l * b + k] += 1
                    gradient[k * b + k] -= 1
                }
            }
        }
        return (Float(loss), Tensor(shape: [b, b], data: gradient))
    }
}
