import Application
import Captioning
import Encoder
import Foundation
import Tensors
import Testing

/// The one caption loop behind `caption`, `caption batch` and `caption evaluate`.
@Suite struct CaptionPipelineTests {
    private var names: [String] { ShippedModels.photos.map(\.name) }
    private var photos: [EncoderFeatures] { ShippedModels.photos.map(\.features) }

    @Test func sampledCaptionsDependOnlyOnThePhotoAndTheSeed() throws {
        var policy = DecodingPolicy()
        policy.sample = true
        policy.seed = 7
        let pipeline = try ShippedModels.pipeline(policy)
        let together = pipeline.records(images: names, features: photos).map(\.caption)
        let alone = names.indices.map { pipeline.record(image: names[$0], photo: photos[$0]).caption }
        let reversed = Array(pipeline.records(images: names.reversed(), features: photos.reversed()).map(\.caption).reversed())
        #expect(together == alone)
        #expect(together == reversed)
        policy.seed = 8
        let other = try ShippedModels.pipeline(policy).records(images: names, features: photos).map(\.caption)
        #expect(other != together, "another seed draws other words")
    }

    @Test func lockstepBeamSearchGivesEachPhotoItsOwnCaptions() throws {
        var policy = DecodingPolicy()
        policy.nBest = 3
        let pipeline = try ShippedModels.pipeline(policy)
        let together = pipeline.records(images: names, features: photos)
        for (index, record) in together.enumerated() {
            let alone = pipeline.record(image: names[index], photo: photos[index])
            #expect(record.candidates.map(\.caption) == alone.candidates.map(\.caption))
            #expect(record.candidates.count == 3)
            #expect(record.confidence != nil)
        }
    }

    @Test("--max-length L gives at most L words", arguments: [1, 2, 5])
    func maxLengthIsAWordLimit(words: Int) throws {
        var policy = DecodingPolicy()
        policy.maxLength = words
        for greedy in [false, true] {
            policy.greedy = greedy
            for record in try ShippedModels.pipeline(policy).records(images: names, features: photos) {
                let count = record.caption.split(separator: " ").count
                #expect((1...words).contains(count), "\(record.caption)")
            }
        }
    }

    @Test func rerankingPrefersFinishedSentences() throws {
        let pipeline = try ShippedModels.pipeline()
        for record in pipeline.records(images: names, features: photos) {
            let last = record.caption.split(separator: " ").last.map(String.init) ?? ""
            #expect(!["a", "an", "the", "of", "in", "on", "with", "and"].contains(last), "\(record.caption)")
        }
    }

    @Test func aTextOnlyModelIsRefused() throws {
        var rng = SplitMix64(seed: 1)
        let config = CaptionModel.Config(vocabularySize: ShippedModels.captioner.vocabulary.count, embeddingSize: 4,
                                         hiddenSize: 4, dropout: 0, textOnly: true)
        let file = CaptionModelFile(model: CaptionModel(config: config, rng: &rng),
                                    vocabulary: ShippedModels.captioner.vocabulary, tokenizer: ShippedModels.captioner.tokenizer,
                                    features: nil, info: [:])
        #expect(throws: CaptionError.self) {
            _ = try CaptionPipeline(captioner: file, encoder: ShippedModels.encoder, aligner: nil, policy: DecodingPolicy(),
                                    reranks: false, modelName: "chars.safetensors")
        }
    }
}
