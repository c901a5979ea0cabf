import Alignment
import Application
import Encoder
import Foundation
import Hummingbird
import ImageDecoding
import Support
import Tensors

/// The handlers of the `/v1` routes: each reads the upload, decodes the photo on the request's
/// own task (so decoding overlaps the model's work), queues it with the `PhotoBatcher`, and
/// answers JSON. `Sources/Application/Resources/openapi.yaml` describes every route.
struct CaptionAPI: Sendable {
    let pipeline: CaptionPipeline
    /// The aligner behind scores and alignments; nil when none is shipped or given.
    let aligner: AlignmentModelFile?
    let batcher: PhotoBatcher
    let slots: DecodeSlots
    let configuration: ServerConfiguration
    /// Sentences one `/v1/scores` request may score.
    static let maxSentences = 100

    /// `POST /v1/captions`: the object `caption --json` prints for the photo, plus `timings`.
    func captions(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let policy = try QueryOptions(request, allowing: QueryOptions.decodingNames).policy(defaults: pipeline.policy)
        let captioner: CaptionPipeline
        do {
            captioner = try pipeline.with(policy: policy)
        } catch {
            throw APIError.caption(error)
        }
        let received = try await receive(request)
        // A `sentence` field was silently ignored here while `?sentence=` is a 400: refuse both alike.
        if let field = received.upload.fields.first {
            throw APIError.badRequest("/v1/captions takes only the `file` field, got `\(field.name)`")
        }
        let photo = try await encode(received, work: .caption(captioner), started: started)
        guard let record = photo.outcome.record else { throw APIError(.internalServerError, "no caption came back") }
        return Self.json(Self.appending(("timings", photo.timings), to: record.json))
    }

    /// `POST /v1/scores`: S, S / words and match of each sentence on the photo, as `caption score`.
    func scores(_ request: Request) async throws -> Response {
        let pair = try await sentencesOnPhoto(request, count: 1...Self.maxSentences)
        let model = pair.aligner.model
        // Photos are encoded here, so conv5_3 is always there for a 14 × 14 aligner.
        let v = model.embedRegions(model.regions(of: pair.photo.outcome.features)!)
        let scores: [JSON] = pair.sentences.map { input in
            let alignment = AlignmentModel.align(regionEmbeddings: v, sentenceEmbedding: model.embedSentence(input.ids))
            let reading = MatchReading(input, alignment: alignment, calibration: pair.aligner.calibration)
            return .object([("sentence", .string(input.text)), ("score", .number(alignment.raw)),
                            ("normalized", .number(alignment.normalized))] + reading.jsonFields + [("words", .int(input.tokens.count))])
        }
        return Self.json(.object([("image", .string(pair.image)), ("scores", .array(scores)), ("timings", pair.photo.timings)]))
    }

    /// `POST /v1/alignments`: each word's region of the photo, with its box, as `caption align --json`.
    func alignments(_ request: Request) async throws -> Response {
        let pair = try await sentencesOnPhoto(request, count: 1...1)
        let (aligner, input) = (pair.aligner, pair.sentences[0])
        let alignment = aligner.model.score(regions: aligner.model.regions(of: pair.photo.outcome.features)!, sentence: input.ids)
        let text = AlignmentText(image: pair.image, input: input, alignment: alignment, calibration: aligner.calibration)
        return Self.json(Self.appending(("timings", pair.photo.timings), to: text.object(boxes: true)))
    }

    /// `GET /healthz`: whether the server answers, what it loaded and how full its queue is.
    func health() -> Response {
        Self.json(.object([("status", .string("ok")), ("queue_depth", .int(batcher.depth)),
                           ("queue_capacity", .int(configuration.queueCapacity)), ("batch_size", .int(configuration.batchSize)),
                           ("aligner", .bool(aligner != nil))]))
    }

    // MARK: The shared steps

    /// A photo through the model, with where its time went.
    private struct EncodedPhoto {
        var outcome: PhotoBatcher.Outcome
        var timings: JSON
    }

    /// An upload and its photo, ready for the encoder.
    private struct Received: Sendable {
        var upload: Upload
        var input: Tensor
        var reading: Duration, decoding: Duration
    }

    /// Reads the body, then decodes its photo here, on the request's task, in a decode slot.
    private func receive(_ request: Request) async throws -> Received {
        let (maxPixels, convention) = (configuration.maxPixels, pipeline.encoder.convention)
        let readStart = ContinuousClock.now
        let upload = try await Upload.read(request, limit: configuration.maxBodyBytes)
        let decodeStart = ContinuousClock.now
        let input = try await slots.run { () throws -> Tensor in
            do throws(ImageDecodingError) {
                return Preprocess.tensor(from: try ImageDecoder.decode(upload.photo, maxPixels: maxPixels), convention: convention)
            } catch {
                throw APIError.photo(error)
            }
        }
        return Received(upload: upload, input: input, reading: decodeStart - readStart, decoding: ContinuousClock.now - decodeStart)
    }

    /// Waits for the photo's turn in a model batch.
    private func encode(_ received: Received, work: PhotoBatcher.Work, started: ContinuousClock.Instant) async throws -> EncodedPhoto {
        let deadline = started + .milliseconds(Int64(configuration.timeoutSeconds * 1000))
        let outcome: PhotoBatcher.Outcome
        do {
            outcome = try await batcher.submit(received.input, name: received.upload.name, work: work, deadline: deadline)
        } catch PhotoBatcher.Refusal.queueFull {
            throw APIError(.serviceUnavailable, "the server is busy: \(configuration.queueCapacity) photos are already waiting; retry shortly",
                           headers: [.retryAfter: "1"])
        } catch PhotoBatcher.Refusal.stopped {
            throw APIError(.serviceUnavailable, "the server is shutting down", headers: [.retryAfter: "5"])
        } catch PhotoBatcher.Refusal.timedOut {
            throw APIError(.gatewayTimeout, "the request took longer than this server's limit of \(configuration.timeoutSeconds) s "
                           + "(caption serve --timeout); retry when it is less busy")
        }
        func ms(_ duration: Duration) -> JSON { .double(duration / .milliseconds(1), decimals: 1) }
        let timings = JSON.object([("read_ms", ms(received.reading)), ("decode_ms", ms(received.decoding)),
                                   ("queue_ms", ms(outcome.queued)), ("encode_ms", ms(outcome.encoding)),
                                   ("caption_ms", ms(outcome.captioning)), ("total_ms", ms(ContinuousClock.now - started)),
                                   ("batch_photos", .int(outcome.batchCount))])
        return EncodedPhoto(outcome: outcome, timings: timings)
    }

    /// What scores and alignments both read: the aligner, the sentences (from the query and the
    /// form, `count` of them, each checked) and the photo, encoded.
    private func sentencesOnPhoto(_ request: Request, count: ClosedRange<Int>) async throws
        -> (aligner: AlignmentModelFile, image: String, sentences: [SentenceInput], photo: EncodedPhoto) {
        let started = ContinuousClock.now
        let aligner = try requireAligner()
        let query = try QueryOptions(request, allowing: [], sentences: true)
        let received = try await receive(request)
        let sentences = query.sentences + received.upload.values("sentence")
        guard count.contains(sentences.count) else {
            let wanted = count.count == 1 ? "exactly \(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            throw APIError.badRequest("give \(wanted) `sentence` (form fields or query parameters), got \(sentences.count)")
        }
        let inputs = try sentences.enumerated().map { index, sentence in try Self.parse(sentence, number: index + 1, with: aligner) }
        return (aligner, received.upload.name, inputs, try await encode(received, work: .encode, started: started))
    }

    private func requireAligner() throws -> AlignmentModelFile {
        guard let aligner else {
            throw APIError(.notImplemented, "this server has no aligner: ship weights/aligner.safetensors or start it with --aligner FILE")
        }
        return aligner
    }

    /// A sentence as the aligner reads it, or a 400 naming which sentence is wrong.
    private static func parse(_ sentence: String, number: Int, with aligner: AlignmentModelFile) throws -> SentenceInput {
        switch SentenceInput.parse(sentence, with: aligner) {
        case .success(let input): return input
        case .failure(let problem): throw APIError.badRequest("sentence \(number): \(problem.description)")
        }
    }

    private static func appending(_ field: (String, JSON), to object: JSON) -> JSON {
        guard case .object(let fields) = object else { return object }
        return .object(fields + [field])
    }

    static func json(_ value: JSON) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: value.text + "\n")))
    }
}
