import Alignment
import Captioning
import Encoder
import Foundation
import ImageDecoding
import Support
import Tensors

/// What captioning a photo needs, loaded once: the captioner, its image-feature recipe, the
/// VGG16 encoder, the decoding policy and, when wanted, the aligner. `caption IMAGE…`,
/// `caption batch`, `caption evaluate captions` and the benchmarks all caption through
/// `records(images:features:)`, so they decode, re-rank and score alike.
public struct CaptionPipeline: Sendable {
    /// The captioner's vocabulary, tokenizer, config and features; its weights live in `decoder`.
    public let captioner: CaptionModelFile
    /// The captioner's members fused and packed for decoding, built once per loaded model.
    public let decoder: any StepwiseDecoder
    /// What the decoder reads of a photo: each member's features.
    public let input: CaptionInput
    public let encoder: VGGEncoder
    /// How captions are chosen; the benchmarks vary the beam width on one loaded pipeline.
    public var policy: DecodingPolicy
    /// The aligner's re-ranking and confidence: loaded for re-ranking, and otherwise (if
    /// shipped) when a confidence is asked for.
    public let reranker: CaptionReranker?
    /// Whether the aligner picks each caption from the beam (`DecodingPolicy.reranks`).
    public let reranks: Bool
    /// The aligner it loaded (nil when neither re-ranking nor a confidence asked for it), for
    /// callers that score with the same model, such as the server.
    public let aligner: AlignmentModelFile?
    /// What `with(policy:)` needs to decide re-ranking again: whether the captioner is the
    /// shipped one (and `aligner`, whether the aligner is loaded).
    private var shippedCaptioner: Bool
    /// Seconds each model took to load in `init(model:…)` (the captioner including its packing;
    /// it loads beside the other two), by name: "captioner", "encoder", "aligner". Empty for a
    /// pipeline over loaded models.
    public private(set) var loadingSeconds: [String: Double] = [:]

    /// Loads the models: the captioner `model` (nil: the shipped one) and the encoder `weights`.
    /// `confidence` asks for the shipped aligner's score even without re-ranking; otherwise the
    /// aligner is read only to re-rank. A text-only language model is refused. The captioner
    /// (read, then packed for decoding) loads on one core while the encoder and the aligner
    /// load on the other.
    public init(model: String?, weights: String?, policy: DecodingPolicy, confidence: Bool = false) throws(CaptionError) {
        let shippedCaptioner = ModelFiles.isShippedCaptioner(model)
        let reranks = policy.reranks(shippedCaptioner: shippedCaptioner, alignerShipped: ModelFiles.alignerIsShipped)
        let wantsAligner = reranks || (confidence && ModelFiles.alignerIsShipped)
        var captioner: Result<(CaptionModelFile, any StepwiseDecoder), CaptionError>?
        var encoder: Result<VGGEncoder, CaptionError>?, aligner: Result<AlignmentModelFile?, CaptionError>?
        var seconds = [Double](repeating: 0, count: 3)
        func timed<T>(_ slot: Int, _ load: () throws(CaptionError) -> T) -> Result<T, CaptionError> {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { seconds[slot] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            return Result(catching: load)
        }
        Parallel.forEach(2) { task in
            if task == 0 {
                captioner = timed(0) { () throws(CaptionError) in
                    var file = try ModelFiles.captioner(model)
                    guard file.features != nil else {
                        throw .input(model ?? "the captioner", "a text-only language model cannot caption images; use `caption sample`")
                    }
                    let decoder = file.packForDecoding()
                    LargeAllocations.returnFreedPages()
                    return (file, decoder)
                }
            } else {
                encoder = timed(1) { () throws(CaptionError) in try ModelFiles.encoder(weights) }
                aligner = timed(2) { () throws(CaptionError) in wantsAligner ? try ModelFiles.aligner(nil) : nil }
            }
        }
        let (file, decoder) = try captioner!.get()
        try self.init(captioner: file, decoder: decoder, encoder: try encoder!.get(), aligner: try aligner!.get(),
                      policy: policy, reranks: reranks)
        self.shippedCaptioner = shippedCaptioner
        loadingSeconds = ["captioner": seconds[0], "encoder": seconds[1]]
        if wantsAligner { loadingSeconds["aligner"] = seconds[2] }
    }

    /// A pipeline over models already loaded (tests, a server). Packs the captioner's weights
    /// for decoding (the pipeline's copy of the file gives its weights up to `decoder`).
    public init(captioner: CaptionModelFile, encoder: VGGEncoder, aligner: AlignmentModelFile?, policy: DecodingPolicy,
                reranks: Bool, modelName: String = "the captioner") throws(CaptionError) {
        guard captioner.features != nil else {
            throw .input(modelName, "a text-only language model cannot caption images; use `caption sample`")
        }
        var file = captioner
        let decoder = file.packForDecoding()
        try self.init(captioner: file, decoder: decoder, encoder: encoder, aligner: aligner, policy: policy, reranks: reranks)
    }

    private init(captioner: CaptionModelFile, decoder: any StepwiseDecoder, encoder: VGGEncoder,
                 aligner: AlignmentModelFile?, policy: DecodingPolicy, reranks: Bool) throws(CaptionError) {
        if reranks && aligner == nil { throw .usage("--rerank", "needs an aligner (weights/aligner.safetensors)") }
        self.captioner = captioner
        self.decoder = decoder
        self.input = captioner.input!
        self.encoder = encoder
        self.policy = policy
        self.reranks = reranks
        self.aligner = aligner
        shippedCaptioner = false
        reranker = aligner.map { CaptionReranker(aligner: $0, weight: policy.rerankWeight) }
    }

    /// The same models deciding by another policy (a server request's options): re-ranking is
    /// decided as `init(model:…)` decides it, with the aligner this pipeline loaded. Throws a
    /// usage error for a policy out of range, or re-ranking asked for without an aligner.
    public func with(policy: DecodingPolicy) throws(CaptionError) -> CaptionPipeline {
        try policy.validate()
        let reranks = policy.reranks(shippedCaptioner: shippedCaptioner, alignerShipped: aligner != nil)
        var pipeline = try CaptionPipeline(captioner: captioner, decoder: decoder, encoder: encoder, aligner: aligner,
                                           policy: policy, reranks: reranks)
        pipeline.shippedCaptioner = shippedCaptioner
        return pipeline
    }

    /// The finest region grid the models read: 14 when the captioner reads conv5_3's cells or
    /// the aligner its 14 × 14 regions, else 7 (pool5).
    public var regionGrid: Int {
        max(input.needsConv5 ? 14 : 7, reranker?.aligner.model.config.regionGrid ?? 7)
    }

    /// The captioner's input for a photo: pool5 (or conv5_3), pooled and standardized `[F]`.
    public func captionerInput(_ photo: EncoderFeatures) -> Tensor {
        Tensor(shape: [input.size], data: input.vector(pool5: photo.pool5, conv5: photo.conv5))
    }

    /// The captions of several encoded photos, one record each, in order: the policy's
    /// decoding (lockstep beam search over the cores, or sampling), re-ranked by the aligner
    /// when it re-ranks, with the aligner's confidence when it is loaded.
    public func records(images: [String], features photos: [EncoderFeatures]) -> [BatchRecord] {
        precondition(images.count == photos.count, "one name per photo")
        let found = policy.decoding(reranking: reranks).captions(decoder, features: photos.map(captionerInput))
        // Re-ranking scores every beam with the aligner: spread it over the cores too.
        var records = [BatchRecord?](repeating: nil, count: images.count)
        records.withUnsafeMutableBufferPointer { buffer in
            let target = UncheckedSendable(buffer)
            Parallel.forEach(images.count) { i in
                target.value[i] = record(image: images[i], photo: photos[i], captions: found[i])
            }
        }
        return records.map { $0! }
    }

    /// One photo's record: `records` for a single photo.
    public func record(image: String, photo: EncoderFeatures) -> BatchRecord {
        records(images: [image], features: [photo])[0]
    }

    private func record(image: String, photo: EncoderFeatures, captions found: [DecodedCaption]) -> BatchRecord {
        var captions = found
        var sentences = found.map { captioner.sentence($0.words) }
        var confidence: Float?, match: Float?
        // Regions are there whenever the photo was encoded here or read from a cache that
        // `CachedFeatures.checkRegions(for:)` let through.
        if let reranker, let regions = reranker.aligner.model.regions(of: photo) {
            if reranks {
                let ranked = reranker.rerank(captions, sentences: sentences, regions: regions).prefix(policy.nBest)
                (captions, sentences) = (ranked.map(\.caption), ranked.map(\.sentence))
                confidence = ranked.first?.confidence
            } else {
                confidence = sentences.first.map { reranker.confidence($0, regions: regions) }
            }
            if let confidence, let sentence = sentences.first { match = reranker.match(sentence, confidence: confidence) }
        }
        return BatchRecord(image: image, candidates: zip(captions, sentences).map { caption, sentence in
            BatchRecord.Candidate(caption: sentence, logprob: caption.logProbability, score: caption.score,
                                  wordLogprobs: caption.tokenLogProbabilities)
        }, confidence: confidence, match: match)
    }
}

extension CaptionModelFile {
    /// Word ids → the printed sentence.
    public func sentence(_ words: [Int]) -> String {
        tokenizer.join(vocabulary.decode(words))
    }
}
