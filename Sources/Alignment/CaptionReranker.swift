import Captioning
import Tensors

/// Re-ranks a captioner's n-best list with the aligner, and gives a caption's confidence.
///
/// The captioner's log-probability rewards short, generic sentences (every word costs
/// probability); the aligner's length-normalized score S/T asks instead how well each word finds
/// a region of this photo. The mix ranks by
///
///     (1 − w) · logprob / tokens  +  w · S / words
///
/// with logprob over the caption's words and end token, and w = `weight` (0 keeps the captioner's
/// own order; the default was chosen on Flickr8k dev, see the README).
public struct CaptionReranker: Sendable {
    public let aligner: AlignmentModelFile
    public let weight: Float

    public init(aligner: AlignmentModelFile, weight: Float) {
        self.aligner = aligner
        self.weight = weight
    }

    /// The aligner's S / words for `sentence` on the photo's 50 regions `[50, 512]`.
    public func confidence(_ sentence: String, regions: Tensor) -> Float {
        let ids = aligner.encode(sentence).ids
        guard !ids.isEmpty else { return 0 }
        return aligner.model.score(regions: regions, sentence: ids).normalized
    }

    /// `captions` (with their printed `sentences`) best first by the mixed score.
    public func rerank(_ captions: [DecodedCaption], sentences: [String], regions: Tensor) -> [DecodedCaption] {
        let mixed = zip(captions, sentences).map { caption, sentence in
            let perToken = caption.logProbability / Float(max(1, caption.tokenLogProbabilities.count))
            return (1 - weight) * perToken + weight * confidence(sentence, regions: regions)
        }
        return captions.indices.sorted { mixed[$0] > mixed[$1] }.map { captions[$0] }
    }
}
