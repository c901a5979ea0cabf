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

extension DropoutMask {
    /// The masks of a group of captions (`TeacherForcing`'s step-major rows, `StepLayout`):
    /// caption i draws from its own generator, seeded with `seeds[i]`, so its masks do not
    /// depend on how the batch is grouped. In step order, each step's input mask
    /// (`inputWidth` values at row `start[t] + i` of `input`), then, where `outputRow(t, i)`
    /// names a row, its output mask (`outputWidth` values at that row of `output`).
    func fill(seeds: [UInt64], steps: [Int], start: [Int], input: UnsafeMutablePointer<Float>, inputWidth: Int,
              output: UnsafeMutablePointer<Float>, outputWidth: Int, outputRow: (_ t: Int, _ i: Int) -> Int?) {
        for (i, seed) in seeds.enumerated() {
            var rng = SplitMix64(seed: seed)
            for t in 0..<steps[i] {
                fill(input + (start[t] + i) * inputWidth, count: inputWidth, rng: &rng)
                if let row = outputRow(t, i) { fill(output + row * outputWidth, count: outputWidth, rng: &rng) }
            }
        }
    }
}
