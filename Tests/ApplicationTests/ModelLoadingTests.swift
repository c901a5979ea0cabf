import Application
import Captioning
import Encoder
import Tensors
import Testing

/// What a pipeline loads, and the packed decoder it captions with, on the shipped models.
@Suite struct ModelLoadingTests {
    /// The packed decoder against the shipped file's members stepping on their own weights: the
    /// same beams (the whole beam, as re-ranking sees it) with the same scores, for every example.
    @Test func packedDecoderFindsTheReferenceCaptions() throws {
        let pipeline = try ShippedModels.pipeline()
        let search = pipeline.policy.search(reranking: true)
        let inputs = ShippedModels.photos.map { pipeline.captionerInput($0.features) }
        let packed = search.search(pipeline.decoder, features: inputs)
        let reference = search.search(ShippedModels.captioner.decoder, features: inputs)
        for (got, expected) in zip(packed, reference) {
            #expect(got.map(\.words) == expected.map(\.words))
            for (a, b) in zip(got, expected) { #expect(abs(a.logProbability - b.logProbability) < 1e-4) }
        }
    }

    /// `caption --no-rerank` reads no aligner; re-ranking (the default) or a confidence does.
    @Test func theAlignerIsReadOnlyWhenUsed() throws {
        var policy = DecodingPolicy()
        policy.rerank = false
        #expect(try CaptionPipeline(model: nil, weights: nil, policy: policy).reranker == nil)
        #expect(try CaptionPipeline(model: nil, weights: nil, policy: policy, confidence: true).reranker != nil)
        #expect(try CaptionPipeline(model: nil, weights: nil, policy: DecodingPolicy()).reranker != nil)
    }

    /// A missing captioner is a one-line error naming the file, not a crash in the loading threads.
    @Test func aMissingCaptionerIsAnError() {
        #expect(throws: CaptionError.self) {
            _ = try CaptionPipeline(model: "/nonexistent/model.safetensors", weights: nil, policy: DecodingPolicy())
        }
    }
}
