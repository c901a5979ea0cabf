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
///
/// With `.hardest` negatives (VSE++, Faghri et al. 2018, "max of hinges") each true pair pays
/// only for its worst rival in each direction:
///
///     C = Σ_k [ max_{l≠k} max(0, S_kl − S_kk + Δ) + max_{l≠k} max(0, S_lk − S_kk + Δ) ]
///
/// The sum spends most of its gradient on the many negatives that are already nearly ranked;
/// the max puts all of it where R@1 is decided. On its own from a random start it can stall
/// (every hardest negative is noise), so training warms up with the sum.
public enum RankingLoss {
    /// Which rivals of a true pair the loss sums over.
    public enum Negatives: String, Sendable, CaseIterable {
        /// Every other sentence of the image's row and image of the sentence's column (eq. 9).
        case all
        /// Only the highest-scoring one in each direction (VSE++).
        case hardest
    }

    /// C and ∂C/∂S `[B, B]` (a subgradient: a hinge exactly at 0 counts as inactive; among
    /// tied hardest negatives the first takes the gradient).
    public static func evaluate(scores: Tensor, margin: Float, negatives: Negatives = .all) -> (loss: Float, gradient: Tensor) {
        precondition(scores.shape.count == 2 && scores.shape[0] == scores.shape[1],
                     "RankingLoss expects square [B, B] scores, got \(scores.shape)")
        let b = scores.shape[0]
        let s = scores.data
        var gradient = [Float](repeating: 0, count: b * b)
        // Accumulated in Double: at B = 100 there are ~20k hinge terms.
        var loss: Double = 0
        // One hinge S_rival − S_kk + Δ: its loss and gradient, if active.
        func hinge(rival: Int, diagonal k: Int) {
            let value = s[rival] - s[k * b + k] + margin
            guard value > 0 else { return }
            loss += Double(value)
            gradient[rival] += 1
            gradient[k * b + k] -= 1
        }
        for k in 0..<b {
            let rivals = (0..<b).filter { $0 != k }
            // Sentence l ranked against image k's own sentence (row k); image l against
            // sentence k's own image (column k).
            let annotation = rivals.map { k * b + $0 }, search = rivals.map { $0 * b + k }
            switch negatives {
            case .all:
                for rival in annotation + search { hinge(rival: rival, diagonal: k) }
            case .hardest:
                for direction in [annotation, search] {
                    // max by score, first on a tie: `max(by:)` keeps the last, so compare strictly.
                    guard var hardest = direction.first else { continue }
                    for rival in direction.dropFirst() where s[rival] > s[hardest] { hardest = rival }
                    hinge(rival: hardest, diagonal: k)
                }
            }
        }
        return (Float(loss), Tensor(shape: [b, b], data: gradient))
    }
}
