import Captioning
import Encoder
import Foundation
import Tensors

/// What `caption bench decoder` measures beside whole captions, so each figure can be read
/// against its reference in the same run: one decoding step of the packed decoder against the
/// members stepping on their own weights, and the aligner's re-ranking alone.
public enum DecoderTimings {
    /// Mean seconds of `body` over `runs` calls, after one call to warm up.
    public static func seconds(runs: Int, _ body: () -> Void) -> Double {
        body()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<runs { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(runs)
    }

    /// The captioner's shape and the decoding defaults, for a table's title.
    public static func describe(_ pipeline: CaptionPipeline) -> String {
        let (file, config, policy) = (pipeline.captioner, pipeline.captioner.model.config, pipeline.policy)
        return "\(config.cell.rawValue) \(config.embeddingSize)/\(config.hiddenSize)"
            + (file.ensemble.isEmpty ? "" : " × \(file.ensemble.count + 1) (ensemble)")
            + ", vocabulary \(file.vocabulary.count), length penalty \(policy.lengthPenalty), "
            + "no-repeat \(policy.noRepeatNgram)-grams\(pipeline.reranks ? ", aligner re-ranking" : "")"
    }

    /// Mean seconds of one `step` at `rows` rows (beams) of one photo's state, for the members
    /// stepping on their own weights (`reference`, as before packing) and the pipeline's decoder.
    public static func steps(_ pipeline: CaptionPipeline, reference: any StepwiseDecoder, photo: EncoderFeatures,
                             rows: Int, runs: Int) -> [(decoder: String, seconds: Double)] {
        func step(_ decoder: some StepwiseDecoder) -> Double {
            let start = decoder.initialState(feature: pipeline.captionerInput(photo)).selecting(rows: Array(repeating: 0, count: rows))
            let tokens = (0..<rows).map { CaptionModel.firstWordToken + $0 }
            return seconds(runs: runs) { _ = decoder.step(start, tokens: tokens) }
        }
        return [("per-member reference", step(reference)), ("packed", step(pipeline.decoder))]
    }

    /// Mean seconds of the aligner re-ranking one photo's beam (as `CaptionPipeline` does).
    public static func rerank(_ pipeline: CaptionPipeline, photo: EncoderFeatures, runs: Int) -> Double? {
        guard let reranker = pipeline.reranker else { return nil }
        let captions = pipeline.policy.decoding(reranking: true).captions(pipeline.decoder, features: [pipeline.captionerInput(photo)])[0]
        let sentences = captions.map { pipeline.captioner.sentence($0.words) }
        guard let regions = reranker.aligner.model.regions(of: photo) else { return nil }
        return seconds(runs: runs) { _ = reranker.rerank(captions, sentences: sentences, regions: regions) }
    }
}
