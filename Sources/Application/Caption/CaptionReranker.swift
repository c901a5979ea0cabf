import Alignment
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
        confidences([sentence], regions: regions)[0]
    }

    /// The calibrated match probability of a caption whose confidence (S / words) is
    /// `confidence`: nil when the aligner has no calibration, or when the caption is mostly words
    /// the aligner does not know (`SentenceInput.isMostlyUnknown`).
    public func match(_ sentence: String, confidence: Float) -> Float? {
        guard let calibration = aligner.calibration,
              case .success(let input) = SentenceInput.parse(sentence, with: aligner), !input.isMostlyUnknown else { return nil }
        return calibration.probability(normalizedScore: confidence)
    }

    /// `confidence` of each sentence: the regions are embedded once and the sentences go
    /// through the BRNN as one batch, so a beam costs one read of the aligner's weights, not one
    /// per caption.
    public func confidences(_ sentences: [String], regions: Tensor) -> [Float] {
        let ids = sentences.map { aligner.encode($0).ids }
        let words = aligner.model.embedSentences(ids.filter { !$0.isEmpty })
        guard !words.isEmpty else { return ids.map { _ in 0 } }
        let embedded = aligner.model.embedRegions(regions)
        var next = words.makeIterator()
        return ids.map { sentence in
            sentence.isEmpty ? 0 : AlignmentModel.align(regionEmbeddings: embedded, sentenceEmbedding: next.next()!).normalized
        }
    }

    /// One caption of the beam with what the ranking read of it.
    public struct Ranked: Sendable {
        public var caption: DecodedCaption
        /// The printed sentence.
        public var sentence: String
        /// The aligner's S / words: the caption's confidence.
        public var confidence: Float
    }

    /// `captions` (with their printed `sentences`) best first by the mixed score, with the
    /// complete sentences (`isComplete`) ahead of the others: the aligner scores how well words
    /// find regions, not grammar, so it would otherwise pick "… in front of a" over a finished
    /// "… in front of a building" now and then (2 of 100 held-out photos did). Each caption's
    /// confidence comes back with it, so the chosen one's need not be scored again.
    public func rerank(_ captions: [DecodedCaption], sentences: [String], regions: Tensor) -> [Ranked] {
        let ranked = zip(zip(captions, sentences), confidences(sentences, regions: regions)).map { pair, confidence in
            Ranked(caption: pair.0, sentence: pair.1, confidence: confidence)
        }
        let mixed = ranked.map { item in
            let perToken = item.caption.logProbability / Float(max(1, item.caption.tokenLogProbabilities.count))
            return (1 - weight) * perToken + weight * item.confidence
        }
        let complete = ranked.map { Self.isComplete($0.caption, sentence: $0.sentence) }
        return ranked.indices.sorted { a, b in
            complete[a] != complete[b] ? complete[a] : mixed[a] > mixed[b]
        }.map { ranked[$0] }
    }

    /// Words a caption cannot end on: articles, prepositions, conjunctions, possessives and
    /// auxiliaries ("a man sitting on a", "two dogs and").
    static let danglingWords: Set<Substring> = [
        "a", "an", "the", "of", "in", "on", "at", "with", "and", "or", "to", "for", "from", "by", "into", "onto",
        "near", "under", "over", "behind", "through", "while", "his", "her", "their", "its", "is", "are", "some",
    ]

    /// Whether a caption ended with `<end>` on a word a sentence can end on.
    public static func isComplete(_ caption: DecodedCaption, sentence: String) -> Bool {
        guard caption.finished else { return false }
        let last = sentence.lowercased().split(whereSeparator: { !$0.isLetter && $0 != "'" }).last
        return last.map { !danglingWords.contains($0) } ?? false
    }
}
