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
    /// How captions are chosen; the benchmarks vary the beam width on one loaded pipeline.
    var decoding: DecodingOptions
    /// The aligner: required by --rerank, and otherwise loaded (if shipped) for a confidence.
    let reranker: CaptionReranker?
    /// Whether the aligner picks each caption from the beam (`DecodingOptions.reranks(model:)`).
    let reranks: Bool

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
        reranks = decoding.reranks(model: model)
        if reranks || (confidence && AlignerLoader.isShipped) {
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
    /// the aligner when it re-ranks), with the aligner's confidence when it is loaded.
    func record(image: String, output: EncoderOutput, rng: inout SplitMix64) -> BatchRecord {
        record(image: image, output: output,
               captions: decoding.decode(captioner.decoder, feature: feature(from: output), reranking: reranks, rng: &rng))
    }

    /// `record(image:output:rng:)` for several photos. Beam search runs them in lockstep (one
    /// batched step for all their beams); sampling draws each photo's words from a generator
    /// seeded by `seed(i)`.
    func records(images: [String], outputs: [EncoderOutput], seed: (Int) -> UInt64) -> [BatchRecord] {
        let captions: [[DecodedCaption]]
        if decoding.sample {
            captions = outputs.indices.map { i in
                var rng = SplitMix64(seed: seed(i))
                return decoding.decode(captioner.decoder, feature: feature(from: outputs[i]), reranking: reranks, rng: &rng)
            }
        } else {
            captions = decoding.search(reranking: reranks).search(captioner.decoder, features: outputs.map { feature(from: $0) })
        }
        return images.indices.map { record(image: images[$0], output: outputs[$0], captions: captions[$0]) }
    }

    private func record(image: String, output: EncoderOutput, captions found: [DecodedCaption]) -> BatchRecord {
        var captions = found
        var confidence: Float?
        if let reranker {
            let regions = AlignmentRegions.from(pool5: output.pool5, vector: output.imageVector)
            if reranks {
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
