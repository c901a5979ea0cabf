import Alignment
import ArgumentParser
import Batch
import Captioning
import Encoder
import Foundation
import ImageDecoding
import Tensors

/// What captioning a photo needs, loaded once: the captioner, its image-feature recipe, the
/// VGG16 encoder and, when wanted, the aligner. Shared by `caption IMAGE…`, `caption batch` and
/// the benchmarks, so they all run and measure the same path.
struct CaptionPipeline {
    let captioner: CaptionModelFile
    let features: ImageFeatureSpec
    let encoder: VGGEncoder
    let decoding: DecodingOptions
    /// The aligner: required by --rerank, and otherwise loaded (if shipped) for a confidence.
    let reranker: CaptionReranker?

    /// Loads the models; a text-only language model is refused with one clear line.
    /// `confidence` asks for the shipped aligner's score even without --rerank.
    init(model: String?, imageOptions: ImageOptions, decoding: DecodingOptions, confidence: Bool = false) throws {
        captioner = try CaptionerLoader.load(model)
        guard let features = captioner.features else {
            reportError(model ?? "model", "a text-only language model cannot caption images; use `caption sample`")
            throw ExitCode(1)
        }
        self.features = features
        self.decoding = decoding
        encoder = try EncoderLoader.load(imageOptions.weights)
        let alignerShipped = FileManager.default.fileExists(atPath: WeightsDirectory.locate("aligner.safetensors").path)
        if decoding.rerank || (confidence && alignerShipped) {
            reranker = CaptionReranker(aligner: try AlignerLoader.load(nil), weight: decoding.rerankWeight)
        } else {
            reranker = nil
        }
    }

    /// The captioner's input for a photo: encoder, pool5, pooled and standardized.
    func feature(for image: Image) -> Tensor {
        feature(from: encoder.encode(image))
    }

    func feature(from output: EncoderOutput) -> Tensor {
        Tensor(shape: [features.size], data: features.vector(pool5: output.pool5))
    }

    /// The captions of one encoded photo, best first: the decoding options' beam (re-ranked by
    /// the aligner with --rerank), with the aligner's confidence when it is loaded.
    func record(image: String, output: EncoderOutput, rng: inout SplitMix64) -> BatchRecord {
        var captions = decoding.decode(captioner.decoder, feature: feature(from: output), rng: &rng)
        var confidence: Float?
        if let reranker {
            let regions = AlignmentRegions.from(pool5: output.pool5, vector: output.imageVector)
            if decoding.rerank {
                captions = Array(reranker.rerank(captions, sentences: captions.map { captioner.sentence($0.words) },
                                                 regions: regions).prefix(decoding.nBest))
            }
            confidence = captions.first.map { reranker.confidence(captioner.sentence($0.words), regions: regions) }
        }
        return BatchRecord(image: image, candidates: captions.map { caption in
            BatchRecord.Candidate(caption: captioner.sentence(caption.words), logprob: caption.logProbability,
                                  score: caption.score, wordLogprobs: caption.tokenLogProbabilities)
        }, confidence: confidence)
    }
}

extension CaptionModelFile {
    /// Word ids → the printed sentence.
    func sentence(_ words: [Int]) -> String {
        tokenizer.join(vocabulary.decode(words))
    }
}
