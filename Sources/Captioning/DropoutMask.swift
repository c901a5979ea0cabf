import Tensors

/// Inverted dropout masks: each value is 0 with probability p and 1/(1−p) otherwise, so the
/// expected activation is unchanged and inference needs no rescaling.
///
/// Masks are drawn per caption from a generator seeded from the caller's `SplitMix64`, so a
/// caption's masks do not depend on how the batch is split across workers, and two evaluations
/// with the same seed (a gradient check) see the same masks.
struct DropoutMask {
    /// p, the drop probability, in [0, 1).
    let probability: Float

    /// Fills `count` values at `target` with mask values drawn from `rng`.
    func fill(_ target: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64) {
        let keep = 1 / (1 - probability), p = Double(probability)
        for k in 0..<count { target[k] = rng.nextUnit() < p ? 0 : keep }
    }
}
