import Foundation
import Testing

/// `caption serve` from start to stop: SIGTERM answers the requests in flight and exits 0, a
/// client that hangs up mid-upload costs nothing, CORS only when asked, a warning for a public
/// address without a token, and no request can name a file on the server.
@Suite(.serialized) struct ServeLifecycleTests {
    static let origin = "https://example.org"

    /// One server with `--cors`, for the tests here that need nothing else (run one at a time,
    /// so its metrics are theirs alone).
    static let cors: Result<ServerProcess, any Error> = Result {
        let server = try ServerProcess(["--cors", origin])
        Serve.stopAtExit(server)
        return server
    }

    /// Six requests wait in the queue (a 1 s batch window holds them there) when SIGTERM comes:
    /// each still gets its caption, the exit status is 0, and then nothing listens.
    @Test func sigtermAnswersTheRequestsInFlightThenExits0() throws {
        let server = try ServerProcess(["--batch-window", "1000"])
        let photo = try Serve.photo("chelsea")
        final class Answers: @unchecked Sendable {
            var results: [Result<ServerProcess.Answer, any Error>] = []
        }
        let answers = Answers()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            answers.results = Serve.concurrently(6) { _ in try server.post("/v1/captions", photo: photo) }
            done.signal()
        }
        // The server has them all once its queue holds six photos.
        var depth = 0
        let deadline = Date().addingTimeInterval(30)
        while depth < 6 && Date() < deadline {
            depth = try server.request("GET", "/healthz").json?["queue_depth"] as? Int ?? 0
            if depth < 6 { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(depth == 6, "queue depth before SIGTERM: \(depth)")
        let status = server.stop()
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running")")
        done.wait()
        for result in answers.results {
            let answer = try result.get()
            #expect(answer.status == 200, "\(answer.text)")
            #expect((answer.json?["caption"] as? String)?.isEmpty == false, "\(answer.text)")
        }
        #expect(answers.results.count == 6)
        #expect(throws: (any Error).self, "nothing listens after the exit") { try server.request("GET", "/healthz", timeout: 5) }
        #expect(!server.stderr.contains("error"), "\(server.stderr)")
    }

    /// Clients that promise a 5 MB body, send 100 KB (or nothing, or half a multipart form) and
    /// hang up: their requests end as 400s nobody reads, nothing is queued, nothing is logged,
    /// and the server goes on answering.
    @Test func aClientThatHangsUpMidUploadCostsNothing() throws {
        let server = try Self.cors.get()
        let before = try Serve.metrics(server)
        func answered(_ metrics: [String: Double]) -> Double {
            metrics.filter { $0.key.hasPrefix(#"caption_http_requests_total{route="/v1/captions","#) }.values.reduce(0, +)
        }
        let head = "POST /v1/captions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n"
        let photo = try Serve.photo("chelsea")
        let uploads = [
            Data((head + "Content-Type: image/jpeg\r\n\r\n").utf8) + photo + Data(count: 100_000 - photo.count),
            Data((head + "Content-Type: image/jpeg\r\n\r\n").utf8),
            Data((head + "Content-Type: multipart/form-data; boundary=xyz\r\n\r\n"
                  + "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n").utf8) + photo,
        ]
        for upload in uploads { try server.sendAndHangUp(upload) }
        var after = before
        let deadline = Date().addingTimeInterval(10)
        while answered(after) - answered(before) < Double(uploads.count) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            after = try Serve.metrics(server)
        }
        let statuses = after.filter { $0.key.hasPrefix(#"caption_http_requests_total{route="/v1/captions","#) && $0.value != before[$0.key] }
        #expect(Set(statuses.keys) == [#"caption_http_requests_total{route="/v1/captions",status="400"}"#], "\(statuses)")
        #expect(answered(after) - answered(before) == Double(uploads.count))
        #expect(after["caption_photos_total"] == before["caption_photos_total"], "nothing was encoded")
        #expect(try Serve.expectHealthy(server) == 0)
        #expect(!server.stderr.contains("error"), "\(server.stderr)")
        let answer = try server.post("/v1/captions", photo: photo)
        #expect(answer.status == 200 && answer.json?["caption"] is String, "\(answer.text)")
    }

    /// Without --cors no answer carries `Access-Control-Allow-Origin`; with it, the preflight,
    /// the answers and the error answers (so a page can read them) all do.
    @Test func corsOnlyWhenAsked() throws {
        let photo = try Serve.photo("rocket")
        let plain = try Serve.shared()
        let withoutCORS = try plain.post("/v1/captions", photo: photo, headers: ["Origin": Self.origin])
        #expect(withoutCORS.status == 200)
        #expect(withoutCORS.header("Access-Control-Allow-Origin") == nil, "\(withoutCORS.headers)")

        let server = try Self.cors.get()
        let preflight = try server.request("OPTIONS", "/v1/captions", headers: [
            "Origin": Self.origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type",
        ])
        #expect((200..<300).contains(preflight.status), "\(preflight.status) \(preflight.text)")
        #expect(preflight.header("Access-Control-Allow-Origin") == Self.origin, "\(preflight.headers)")
        #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true, "\(preflight.headers)")
        #expect(preflight.header("Access-Control-Allow-Headers")?.lowercased().contains("authorization") == true, "\(preflight.headers)")
        let answer = try server.post("/v1/captions", photo: photo, headers: ["Origin": Self.origin])
        #expect(answer.status == 200 && answer.header("Access-Control-Allow-Origin") == Self.origin, "\(answer.headers)")
        let error = try server.post("/v1/captions?beam_size=0", photo: photo, headers: ["Origin": Self.origin])
        Serve.expectError(error, 400, "an error answer")
        #expect(error.header("Access-Control-Allow-Origin") == Self.origin, "\(error.headers)")
        try Serve.expectHealthy(server)
    }

    /// Listening on anything but loopback without --token prints a warning first.
    @Test func aPublicAddressWithoutATokenWarns() throws {
        let server = try ServerProcess(["--host", "0.0.0.0"])
        let status = server.stop()
        #expect(server.stderr.contains("caption: warning: ") && server.stderr.contains("0.0.0.0") && server.stderr.contains("--token"),
                "\(server.stderr)")
        #expect(status == 0)
    }

    /// An address that does not exist or a port already taken: exit 2 at once with one
    /// `caption: error:` line naming them (the only other line allowed is the no-token warning).
    @Test func anAddressThatCannotBeBoundFailsAtOnceWithOneErrorLine() throws {
        let taken = try #require(try Self.cors.get().url.port)
        for arguments in [["--host", "256.0.0.1", "--port", "0"], ["--port", String(taken)]] {
            let started = Date()
            let result = try CLI.run(["serve"] + arguments, launcher: ["/usr/bin/timeout", "60"])
            let lines = result.stderr.split(separator: "\n")
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(Date().timeIntervalSince(started) < 30, "\(arguments)")
            #expect(lines.filter { $0.hasPrefix("caption: error: ") }.count == 1, "\(arguments): \(result.stderr)")
            #expect(lines.allSatisfy { $0.hasPrefix("caption: error: ") || $0.hasPrefix("caption: warning: ") }, "\(result.stderr)")
            #expect(result.stderr.contains("cannot serve") && result.stderr.contains(arguments[1]), "\(result.stderr)")
        }
        let stillServing = try Self.cors.get()
        try Serve.expectHealthy(stillServing)
    }

    /// The photo is always the request's bytes: a parameter or field that names a file is refused,
    /// and a body that holds a path is read as (not-an-image) bytes.
    @Test func noRequestCanNameAFile() throws {
        let server = try Self.cors.get()
        let photo = try Serve.photo("chelsea")
        for path in ["/v1/captions?image=/etc/passwd", "/v1/captions?file=/etc/passwd", "/v1/scores?image=/etc/passwd&sentence=a+cat",
                     "/v1/alignments?path=/etc/passwd&sentence=a+cat"] {
            let message = Serve.expectError(try server.post(path, photo: photo), 400, path)
            #expect(message.contains("unknown query parameter"), "\(message)")
        }
        let field = ServeFailureTests.multipart([("file", "chelsea.jpg", photo), ("image", nil, Data("/etc/passwd".utf8))], boundary: "xyz")
        Serve.expectError(try server.request("POST", "/v1/captions", body: field, headers: ["Content-Type": "multipart/form-data; boundary=xyz"]),
                          400, "an image field")
        for body in ["/etc/passwd", "file:///etc/passwd", "examples/chelsea.jpg"] {
            let answer = try server.post("/v1/captions", photo: Data(body.utf8), contentType: "text/plain")
            let message = Serve.expectError(answer, 415, body)
            #expect(!message.contains("root:"), "\(message)")
        }
        let named = try server.postForm("/v1/captions", photo: Data("x".utf8), filename: "/etc/passwd")
        Serve.expectError(named, 415, "a file name is only a name")
        try Serve.expectHealthy(server)
    }
}
