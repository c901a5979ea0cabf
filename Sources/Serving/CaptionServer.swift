import Alignment
import Application
import Foundation
import Hummingbird
import Logging
import Tensors

/// `caption serve`: the HTTP API over one loaded pipeline, the web page at `/`, the metrics and
/// the API description, on Hummingbird 2.
///
///     GET  /               the web page (pick a photo, read its captions, click a word)
///     GET  /openapi.yaml   the API, OpenAPI 3.1
///     GET  /healthz        {"status": "ok", …}
///     GET  /metrics        Prometheus text
///     POST /v1/captions    photo → caption --json's object + timings
///     POST /v1/scores      photo + sentences → S, S / words
///     POST /v1/alignments  photo + sentence → word ↔ region boxes
///
/// SIGTERM or SIGINT stop it gracefully: it takes no new connections, answers the requests in
/// flight, then lets the model worker finish and returns.
public struct CaptionServer: Sendable {
    public let configuration: ServerConfiguration
    let api: CaptionAPI
    let metrics: ServerMetrics
    let page: String
    let openAPI: String

    /// A server over loaded models; nothing listens until `run`. Throws if the configuration is
    /// out of range or the page files are missing.
    public init(configuration: ServerConfiguration, pipeline: CaptionPipeline, aligner: AlignmentModelFile?) throws(CaptionError) {
        try configuration.validate()
        self.configuration = configuration
        page = try AlignmentPage.withRegionBoxesStyle(PageTemplate.text("serve-page.html"))
        openAPI = try PageTemplate.text("openapi.yaml")
        let metrics = ServerMetrics()
        self.metrics = metrics
        let batcher = PhotoBatcher(encoder: pipeline.encoder, batchSize: configuration.batchSize,
                                   window: .microseconds(Int64(configuration.batchWindowMilliseconds * 1000)),
                                   capacity: configuration.queueCapacity, onBatch: { metrics.batch(photos: $0) })
        let slots = DecodeSlots(count: Parallel.workers)
        api = CaptionAPI(pipeline: pipeline, aligner: aligner, batcher: batcher, slots: slots, configuration: configuration)
    }

    /// Serves until SIGTERM or SIGINT. `onListening` gets the port actually bound (`--port 0`
    /// picks a free one).
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        var logger = Logger(label: "caption-serve")
        logger.logLevel = .error
        let app = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        defer { api.batcher.stop() }
        try await app.runService()  // stops gracefully on SIGTERM and SIGINT
    }

    /// `run` for a caller that is not async (the CLI): blocks until the server has stopped.
    /// `onListening` gets the URL served.
    public func serve(onListening: @escaping @Sendable (String) -> Void) throws(CaptionError) {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        final class Ending: @unchecked Sendable {
            var error: (any Error)?
            let done = DispatchSemaphore(value: 0)
        }
        let ending = Ending()
        Task {
            do {
                try await run { port in onListening("http://\(host):\(port)") }
            } catch {
                ending.error = error
            }
            ending.done.signal()
        }
        ending.done.wait()
        if let error = ending.error {
            throw .usage("--host \(configuration.host) --port \(configuration.port)", "cannot serve: \(error)")
        }
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        if let origin = configuration.corsOrigin {
            router.add(middleware: CORSMiddleware(allowOrigin: .custom(origin), allowHeaders: [.authorization, .contentType],
                                                  allowMethods: [.get, .post, .options]))
        }
        router.add(middleware: AnswerMiddleware(token: configuration.token, maxBodyMegabytes: configuration.maxBodyMegabytes,
                                                metrics: metrics))
        let (api, metrics, page, openAPI) = (api, metrics, page, openAPI)
        router.get("/") { _, _ in Self.text(page, type: "text/html; charset=utf-8") }
        router.get("/openapi.yaml") { _, _ in Self.text(openAPI, type: "application/yaml") }
        router.get("/healthz") { _, _ in api.health() }
        router.get("/metrics") { _, _ in Self.text(metrics.exposition(queueDepth: api.batcher.depth), type: "text/plain; version=0.0.4") }
        let inFlight = InFlightLimit(limit: configuration.queueCapacity + configuration.batchSize)
        router.post("/v1/captions") { request, _ in try await inFlight.admit { try await api.captions(request) } }
        router.post("/v1/scores") { request, _ in try await inFlight.admit { try await api.scores(request) } }
        router.post("/v1/alignments") { request, _ in try await inFlight.admit { try await api.alignments(request) } }
        return router
    }

    /// A page or document. The page's Content-Security-Policy allows nothing from elsewhere,
    /// so even a string that slipped past escaping could not load or send anything.
    private static func text(_ body: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache"]
        if type.hasPrefix("text/html") {
            headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
                + "script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"
            headers[.xContentTypeOptions] = "nosniff"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
