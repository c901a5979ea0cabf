import Tensors

/// The one loop that turns images' features into captions, shared by `caption`, `caption batch`,
/// `caption evaluate` and the trainer's per-epoch dev scores, so they all decode alike.
///
/// Images are spread over the cores in contiguous shares. Beam search runs each share
/// `lockstep` images at a time: one batched step for all their beams reads the decoder's weights
/// once instead of once per image. Sampling draws each image's words from its own generator,
/// seeded by `seed` alone, so a photo gets the same sampled caption whichever command, batch
/// or position it comes in.
public enum CaptionDecoding: Sendable {
    case beam(BeamSearch)
    case sample(Sampler, temperature: Float, seed: UInt64)

    /// Images one core beam-searches together: past about 16 the step stops being bound by
    /// reading the weights, and more images only delay the first results.
    public static let lockstep = 16

    /// Each image's captions, best first (one for sampling). `features` are the captioner's
    /// inputs `[F]` (nil for a text-only model).
    public func captions(_ model: some StepwiseDecoder, features: [Tensor?]) -> [[DecodedCaption]] {
        var results = [[DecodedCaption]](repeating: [], count: features.count)
        let shares = min(Parallel.workers, features.count)
        guard shares > 0 else { return [] }
        let shared = UncheckedSendable(model.sharingCores(shares))
        results.withUnsafeMutableBufferPointer { buffer in
            let target = UncheckedSendable(buffer)
            Parallel.forEach(shares) { share in
                let mine = Parallel.share(share, of: shares, features.count)
                for first in stride(from: mine.lowerBound, to: mine.upperBound, by: Self.lockstep) {
                    let chunk = first..<min(first + Self.lockstep, mine.upperBound)
                    for (index, captions) in zip(chunk, decode(shared.value, features: Array(features[chunk]))) {
                        target.value[index] = captions
                    }
                }
            }
        }
        return results
    }

    /// A few images' captions on the calling thread.
    private func decode(_ model: some StepwiseDecoder, features: [Tensor?]) -> [[DecodedCaption]] {
        switch self {
        case .beam(let search):
            return search.search(model, features: features)
        case .sample(let sampler, let temperature, let seed):
            return features.map { feature in
                var rng = SplitMix64(seed: seed)
                return [sampler.sample(model, feature: feature, temperature: temperature, rng: &rng)]
            }
        }
    }
}
