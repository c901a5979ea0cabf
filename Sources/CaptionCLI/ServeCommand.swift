import Application
import ArgumentParser
import Foundation
import Serving

/// `caption serve`: the HTTP API and web page (`Serving`), with batching across requests.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve captions, scores and alignments over HTTP, with a web page at /.",
        discussion: """
        Routes: POST /v1/captions (the photo as the raw body or a multipart `file` field; the \
        decoding options as query parameters: beam_size, n_best, sample, temperature, seed…) \
        answers what `caption --json` prints plus timings; POST /v1/scores and /v1/alignments take \
        the photo and `sentence` fields; GET /healthz, /metrics (Prometheus), /openapi.yaml, and / \
        (the page). Errors are {"error": "..."} with 400, 401, 413, 415, 422, 503 (+ Retry-After) \
        or 504. Photos from concurrent requests share model batches. SIGTERM finishes the \
        requests in flight, then exits 0. The README's "Serving" section has curl examples.

        Examples:
          caption serve
          curl -s --data-binary @photo.jpg -H 'Content-Type: image/jpeg' localhost:8080/v1/captions
          CAPTION_TOKEN="$(cat token)" caption serve --host 0.0.0.0 --cors https://example.org
        """)

    @Option(help: "Address to listen on; anything but loopback should have a --token.")
    var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one, printed at start).")
    var port = 8080
    @Option(help: ArgumentHelp("Demand `Authorization: Bearer <token>` on /v1 and /metrics (default: $CAPTION_TOKEN, which `ps` does not show).", valueName: "token"))
    var token: String?
    @Option(help: ArgumentHelp("Let pages from this origin call the API (CORS); off by default.", valueName: "origin"))
    var cors: String?
    @Option(help: ArgumentHelp("Largest request body, in megabytes.", valueName: "MB"))
    var maxBody = 20
    @Option(help: ArgumentHelp("Photos encoded and beam-searched together (1–256).", valueName: "n"))
    var batchSize = BatchRunner.defaultBatchSize
    @Option(help: ArgumentHelp("How long a photo waits for others to fill its batch (0–1000).", valueName: "ms"))
    var batchWindow = 5.0
    @Option(help: ArgumentHelp("Photos that may wait for the model; more get 503 with Retry-After.", valueName: "n"))
    var queue = 64
    @Option(help: ArgumentHelp("Seconds a request may take before it is answered 504.", valueName: "s"))
    var timeout = 60.0
    @Option(help: ArgumentHelp("The aligner for /v1/scores, /v1/alignments and confidences (default: the shipped one).", valueName: "path"))
    var aligner: String?
    @OptionGroup(title: "Model and default decoding (a request's query overrides these)") var captioner: CaptionerOptions

    var server: ServerConfiguration {
        var server = ServerConfiguration()
        (server.host, server.port, server.corsOrigin) = (host, port, cors)
        server.token = token ?? ProcessInfo.processInfo.environment["CAPTION_TOKEN"]
        (server.maxBodyMegabytes, server.maxPixels) = (maxBody, captioner.image.maxPixels)
        (server.batchSize, server.batchWindowMilliseconds) = (batchSize, batchWindow)
        (server.queueCapacity, server.timeoutSeconds) = (queue, timeout)
        return server
    }

    func validate() throws {
        do { try server.validate() } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let pipeline = try captioner.pipeline(confidence: true)
        // The pipeline asked for confidences, so it already holds the shipped aligner if there is one.
        let alignerFile = try aligner.map { try ModelFiles.aligner($0) } ?? pipeline.aligner
        let server = try CaptionServer(configuration: self.server, pipeline: pipeline, aligner: alignerFile)
        let open = !self.server.isLoopback && self.server.token == nil
        try server.serve { url in
            FileHandle.standardError.write(Data("caption serve: listening on \(url)\n".utf8))
            if open { warn("listening on \(host) without --token: anyone who can reach this address can use the server") }
        }
    }
}
