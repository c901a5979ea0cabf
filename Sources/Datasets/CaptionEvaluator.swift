import Text
import Captioning
import Evaluation
import Foundation
import Tensors

/// Scores a captioner on a dataset split: perplexity of its reference captions, and BLEU /
/// ROUGE-L / CIDEr-D of the captions it writes.
public struct CaptionEvaluator {
    /// Scores perplexity.
    public let model: CaptionModel
    /// Writes the captions: `model`, or an ensemble that includes it.
    public let decoder: any StepwiseDecoder
    public let vocabulary: Vocabulary
    public let features: ImageFeatureSpec?

    public init(model: CaptionModel, decoder: (any StepwiseDecoder)? = nil, vocabulary: Vocabulary, features: ImageFeatureSpec?) {
        self.model = model
        self.decoder = decoder ?? model
        self.vocabulary = vocabulary
        self.features = features
    }

    /// e^(mean cross-entropy per token) over every caption of `set`.
    public func perplexity(_ set: CaptionTrainingSet, batchSize: Int) -> Float {
        var lossSum = 0.0, tokens = 0
        for start in stride(from: 0, to: set.pairs.count, by: batchSize) {
            let batch = Array(set.pairs[start..<min(set.pairs.count, start + batchSize)])
            let batchFeatures = features.map { set.featureBatch(batch.map(\.image), spec: $0) }
            let result = model.loss(features: batchFeatures, captions: batch.map(\.words))
            lossSum += Double(result.loss) * Double(result.tokens)
            tokens += result.tokens
        }
        return Float(exp(lossSum / Double(max(1, tokens))))
    }

    /// One caption per image of `set` by `search`, through the same loop as `caption` and
    /// `caption batch` (`CaptionDecoding`: images spread over the cores, searched in lockstep).
    public func captions(_ set: CaptionTrainingSet, search: BeamSearch) -> [[String]] {
        guard let features else { return [] }
        let inputs: [Tensor?] = set.images.indices.map { set.featureBatch([$0], spec: features).reshaped([features.size]) }
        return CaptionDecoding.beam(search).captions(decoder, features: inputs).map { vocabulary.decode($0.first?.words ?? []) }
    }

    /// Corpus BLEU-1..4, ROUGE-L and CIDEr-D of `search`'s captions against `set`'s references.
    public func scores(_ set: CaptionTrainingSet, search: BeamSearch) throws -> MetricScores {
        CaptionMetrics.score(try corpus(set, search: search))
    }

    /// `search`'s caption of every image of `set` beside its references.
    public func corpus(_ set: CaptionTrainingSet, search: BeamSearch) throws -> CaptionCorpus {
        let candidates = captions(set, search: search)
        return try CaptionCorpus(set.images.indices.map { index in
            CaptionCorpus.Image(id: set.images[index].path, candidate: candidates[index], references: set.references[index])
        })
    }
}

extension MetricScores {
    /// "BLEU-1..4 58.6/39.8/26.3/17.4 ROUGE-L 43.1 CIDEr-D 41.1" (points).
    public var summaryLine: String {
        String(format: "BLEU-1..4 %.1f/%.1f/%.1f/%.1f ROUGE-L %.1f CIDEr-D %.1f",
               bleu1 * 100, bleu2 * 100, bleu3 * 100, bleu4 * 100, rougeL * 100, ciderD * 100)
    }
}
