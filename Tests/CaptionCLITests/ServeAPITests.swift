import Foundation
import Testing

/// What the `caption serve` tests share: one default server, started on first use and stopped
/// when the test process exits (each start loads the weights), and helpers for concurrent
/// requests, error answers and `/metrics`.
enum Serve {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var started: Result<ServerProcess, any Error>?
    nonisolated(unsafe) private static var running: [ServerProcess] = []

    /// `caption serve --port 0` with every default, shared by the suites that need nothing special.
    static func shared() throws -> ServerProcess {
        lock.lock()
        let result = started ?? Result { try ServerProcess() }
        started = result
        lock.unlock()
        let server = try result.get()
        stopAtExit(server)
        return server
    }

    /// Sends `server` SIGTERM when the test process exits (a `static let` is never deinitialized).
    static func stopAtExit(_ server: ServerProcess) {
        lock.lock()
        defer { lock.unlock() }
        guard !running.contains(where: { $0 === server }) else { return }
        if running.isEmpty {
            atexit {
                for server in Serve.running where server.process.isRunning { server.process.terminate() }
            }
        }
        running.append(server)
    }

    static func example(_ name: String) -> URL { CLI.repository.appendingPathComponent("examples/\(name).jpg") }
    static func photo(_ name: String) throws -> Data { try Data(contentsOf: example(name)) }
    static let photoNames = ["astronaut", "chelsea", "coffee", "rocket"]

    /// Runs `body(0..<count)` on `count` threads at once and returns the results in order.
    static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) -> [Result<T, any Error>] {
        let results = Slots<Result<T, any Error>>(count)
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                results[index] = Result { try body(index) }
                group.leave()
            }
        }
        group.wait()
        return results.values.map { $0! }
    }

    /// Slots that threads fill in.
    final class Slots<T>: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [T?]
        init(_ count: Int) { values = Array(repeating: nil, count: count) }
        subscript(index: Int) -> T? {
            get { lock.withLock { values[index] } }
            set { lock.withLock { values[index] = newValue } }
        }
    }

    /// Checks an error answer: this status, `Content-Type: application/json`, and a body
    /// `{"error": "<non-empty message>"}`; returns the message.
    @discardableResult
    static func expectError(_ answer: ServerProcess.Answer, _ status: Int, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) -> String {
        #expect(answer.status == status, "\(what): \(answer.status) \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.header("Content-Type")?.hasPrefix("application/json") == true,
                "\(what): Content-Type \(answer.header("Content-Type") ?? "none")", sourceLocation: sourceLocation)
        let message = answer.json?["error"] as? String ?? ""
        #expect(!message.isEmpty && answer.json?.count == 1, "\(what): body \(answer.text)", sourceLocation: sourceLocation)
        return message
    }

    /// `/healthz` answers 200 `{"status": "ok"}`; returns its queue depth.
    @discardableResult
    static func expectHealthy(_ server: ServerProcess, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int? {
        let health = try server.request("GET", "/healthz")
        #expect(health.status == 200 && health.json?["status"] as? String == "ok", "\(health.status) \(health.text)",
                sourceLocation: sourceLocation)
        return health.json?["queue_depth"] as? Int
    }

    /// `/metrics` as `name{labels}` → value (the Prometheus text format's samples).
    static func metrics(_ server: ServerProcess, headers: [String: String] = [:]) throws -> [String: Double] {
        let answer = try server.request("GET", "/metrics", headers: headers)
        #expect(answer.status == 200, "\(answer.status) \(answer.text)")
        var samples: [String: Double] = [:]
        for line in answer.text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// Where two JSON values differ: the same keys, array lengths, strings and booleans, and
    /// numbers within `tolerance`. Photos batched together give the same captions, but their
    /// numbers may differ in the last printed digit: OpenBLAS rounds a row of a product
    /// differently with the number of rows, and a batch stacks its photos' beams as rows (so
    /// `caption batch` differs from `caption` the same way).
    static func differences(_ a: Any, _ b: Any, tolerance: Double = 1e-3, at path: String = "") -> [String] {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            guard Set(a.keys) == Set(b.keys) else { return ["\(path): keys \(a.keys.sorted()) ≠ \(b.keys.sorted())"] }
            return a.keys.sorted().flatMap { differences(a[$0]!, b[$0]!, tolerance: tolerance, at: path + "." + $0) }
        case let (a as [Any], b as [Any]):
            guard a.count == b.count else { return ["\(path): \(a.count) ≠ \(b.count) items"] }
            return zip(a, b).enumerated().flatMap { differences($1.0, $1.1, tolerance: tolerance, at: path + "[\($0)]") }
        case let (a as String, b as String):
            return a == b ? [] : ["\(path): \(a) ≠ \(b)"]
        case let (a as NSNumber, b as NSNumber):
            let (x, y) = (a.doubleValue, b.doubleValue)
            return abs(x - y) <= tolerance ? [] : ["\(path): \(x) ≠ \(y)"]
        case (is NSNull, is NSNull):
            return []
        default:
            return ["\(path): \(a) ≠ \(b)"]
        }
    }

    /// Each line of `text` as a JSON object.
    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }
}

/// Every route of `caption serve` on one default server, and its answers equal to the CLI's for
/// the same photos and options, also when requests with different options share model batches.
@Suite struct ServeAPITests {
    @Test func pageAPIDescriptionAndHealth() throws {
        let server = try Serve.shared()
        let page = try server.request("GET", "/")
        #expect(page.status == 200)
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.text.contains("<html") && page.text.contains("/v1/captions"), "\(page.text.prefix(300))")
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'self'") == true)

        let api = try server.request("GET", "/openapi.yaml")
        #expect(api.status == 200)
        #expect(api.header("Content-Type")?.contains("yaml") == true)
        #expect(api.text.hasPrefix("openapi: 3.1"), "\(api.text.prefix(100))")
        for route in ["/v1/captions:", "/v1/scores:", "/v1/alignments:", "/healthz:", "/metrics:"] {
            #expect(api.text.contains(route), "openapi.yaml lacks \(route)")
        }

        let health = try server.request("GET", "/healthz")
        #expect(health.status == 200 && health.header("Content-Type") == "application/json")
        let json = try #require(health.json)
        #expect(json["status"] as? String == "ok")
        #expect(json["queue_capacity"] as? Int == 64 && json["batch_size"] as? Int == 8)
        #expect(json["aligner"] as? Bool == true && json["queue_depth"] is Int)
        #expect(!server.stderr.contains("warning"), "a loopback server without a token warns of nothing: \(server.stderr)")
    }

    @Test func captionsFromARawBodyAndFromAMultipartFile() throws {
        let server = try Serve.shared()
        let photo = try Serve.photo("chelsea")
        let raw = try server.post("/v1/captions", photo: photo)
        #expect(raw.status == 200, "\(raw.text)")
        #expect(raw.header("Content-Type") == "application/json")
        let rawJSON = try #require(raw.json)
        #expect(rawJSON["image"] as? String == "upload")
        let caption = try #require(rawJSON["caption"] as? String)
        #expect(caption.split(separator: " ").count >= 3, "\(caption)")
        let beams = try #require(rawJSON["beams"] as? [[String: Any]])
        #expect(beams.count == 1 && beams[0]["caption"] as? String == caption)
        let timings = try #require(rawJSON["timings"] as? [String: Any])
        for key in ["read_ms", "decode_ms", "queue_ms", "encode_ms", "caption_ms", "total_ms", "batch_photos"] {
            #expect(timings[key] is NSNumber, "timings lack \(key): \(timings)")
        }
        #expect((timings["encode_ms"] as? Double ?? 0) > 0 && (timings["total_ms"] as? Double ?? 0) >= (timings["encode_ms"] as? Double ?? 0))

        // Any Content-Type but multipart is the photo itself (curl --data-binary sends form-urlencoded).
        let urlencoded = try server.post("/v1/captions", photo: photo, contentType: "application/x-www-form-urlencoded")
        #expect(urlencoded.json?["caption"] as? String == caption, "\(urlencoded.text)")

        let form = try server.postForm("/v1/captions", photo: photo, filename: "chelsea.jpg")
        #expect(form.status == 200, "\(form.text)")
        #expect(form.json?["image"] as? String == "chelsea.jpg")
        let differences = Serve.differences(try #require(form.json).filter { $0.key != "image" && $0.key != "timings" },
                                            rawJSON.filter { $0.key != "image" && $0.key != "timings" })
        #expect(differences.isEmpty, "\(differences)")
        try Serve.expectHealthy(server)
    }

    @Test func metricsCountRequestsLatencyQueueAndPhotos() throws {
        let server = try Serve.shared()
        let before = try Serve.metrics(server)
        let photo = try Serve.photo("rocket")
        let answers = Serve.concurrently(3) { _ in try server.post("/v1/captions", photo: photo) }
        #expect(try answers.allSatisfy { try $0.get().status == 200 })
        Serve.expectError(try server.request("GET", "/no/such/route"), 404, "unknown route")
        let after = try Serve.metrics(server)
        func delta(_ key: String) -> Double { (after[key] ?? 0) - (before[key] ?? 0) }

        // Other suites use this server at the same time: counts grow by at least ours.
        #expect(delta(#"caption_http_requests_total{route="/v1/captions",status="200"}"#) >= 3, "\(after)")
        #expect(delta(#"caption_http_requests_total{route="unmatched",status="404"}"#) >= 1, "\(after)")
        #expect(delta(#"caption_http_request_duration_seconds_count{route="/v1/captions"}"#) >= 3)
        #expect(delta(#"caption_http_request_duration_seconds_sum{route="/v1/captions"}"#) > 0)
        // The histogram's buckets are cumulative, the last one holding every request.
        let bounds = ["0.005", "0.025", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0", "+Inf"]
        let buckets = bounds.map { after[#"caption_http_request_duration_seconds_bucket{route="/v1/captions",le="\#($0)"}"#] }
        #expect(buckets.allSatisfy { $0 != nil }, "\(after.keys.filter { $0.contains("bucket") })")
        let counts = buckets.compactMap { $0 }
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 } && (counts.last ?? 0) >= 3, "\(counts)")
        #expect(after["caption_queue_depth"] != nil)
        #expect(delta("caption_photos_total") >= 3)
        #expect((after["caption_photos_per_second"] ?? 0) > 0, "photos in the last 10 s")
        #expect((after["caption_batch_photos_count"] ?? 0) >= 1)
        let text = try server.request("GET", "/metrics")
        #expect(text.header("Content-Type")?.hasPrefix("text/plain") == true)
    }

    /// The decoding options each request sends, with the same flags for `caption --json`.
    static let optionSets: [(query: String, flags: [String])] = [
        ("", []),
        ("?n_best=3", ["--n-best", "3"]),
        ("?beam_size=5&n_best=2&rerank=false", ["--beam-size", "5", "--n-best", "2", "--no-rerank"]),
        ("?greedy=true", ["--greedy"]),
        ("?sample=true&seed=7&temperature=0.8", ["--sample", "--seed", "7", "--temperature", "0.8"]),
        ("?length_penalty=0", ["--length-penalty", "0"]),
    ]

    /// 24 requests at once (4 photos × 6 option sets): the photos share encoder batches whatever
    /// their policy, and each answer is still what `caption --json` prints for it: the same
    /// captions and beams, the same numbers but for the last digit (see `Serve.differences`).
    @Test func captionsEqualTheCLIsWhileRequestsWithDifferentOptionsShareBatches() throws {
        let server = try Serve.shared()
        let photos = try Serve.photoNames.map { try Serve.photo($0) }
        let jobs = Self.optionSets.indices.flatMap { set in Serve.photoNames.indices.map { (set, $0) } }
        // The CLI runs alongside the requests: one process per option set, over the four photos.
        enum Outcome: Sendable {
            case answer(ServerProcess.Answer)
            case cli(CLI.Result)
        }
        let outcomes = Serve.concurrently(jobs.count + Self.optionSets.count) { index -> Outcome in
            guard index < jobs.count else {
                let flags = Self.optionSets[index - jobs.count].flags
                return .cli(try CLI.run(["--json"] + flags + Serve.photoNames.map { Serve.example($0).path }))
            }
            let (set, photo) = jobs[index]
            return .answer(try server.post("/v1/captions" + Self.optionSets[set].query, photo: photos[photo]))
        }
        var answers: [ServerProcess.Answer] = [], cli: [[[String: Any]]] = []
        for outcome in outcomes {
            switch try outcome.get() {
            case .answer(let answer): answers.append(answer)
            case .cli(let run):
                #expect(run.status == 0, "\(run.stderr)")
                cli.append(try Serve.jsonLines(run.stdout))
            }
        }
        try #require(cli.allSatisfy { $0.count == Serve.photoNames.count })
        var largestBatch = 0
        for (index, (set, photo)) in jobs.enumerated() {
            let what = "\(Serve.photoNames[photo]) \(Self.optionSets[set].query)"
            let answer = answers[index]
            #expect(answer.status == 200, "\(what): \(answer.text)")
            let json = try #require(answer.json, "\(what)")
            let expected = cli[set][photo]
            let differences = Serve.differences(json.filter { $0.key != "image" && $0.key != "timings" }, expected.filter { $0.key != "image" })
            #expect(differences.isEmpty, "\(what) in a batch of \((json["timings"] as? [String: Any])?["batch_photos"] ?? "?"): \(differences)")
            largestBatch = max(largestBatch, (json["timings"] as? [String: Any])?["batch_photos"] as? Int ?? 0)
        }
        // Only 4 photos share a policy: a batch of 5 or more mixed policies.
        #expect(largestBatch >= 5, "largest model batch: \(largestBatch) photos")
        let nBest = answers[Serve.photoNames.count].json?["beams"] as? [Any]
        #expect(nBest?.count == 3, "n_best=3 gives 3 beams")
        try Serve.expectHealthy(server)
    }

    static let sentences = ["a dog runs on the grass", "a cat", "Two people ride bikes down a busy street."]

    /// `/v1/scores` with several sentences (form fields, query parameters, or both) gives what
    /// `caption score --json` gives for each.
    @Test func scoresEqualCaptionScore() throws {
        let server = try Serve.shared()
        let names = ["chelsea", "rocket"]
        let pairs = names.flatMap { name in Self.sentences.map { "\(Serve.example(name).path)\t\($0)" } }
        let cli = try CLI.run(["score", "--pairs", "-", "--json"], stdin: Data((pairs.joined(separator: "\n") + "\n").utf8))
        #expect(cli.status == 0, "\(cli.stderr)")
        let expected = try Serve.jsonLines(cli.stdout)
        try #require(expected.count == pairs.count)
        for (index, name) in names.enumerated() {
            let photo = try Serve.photo(name)
            let query = "?" + Self.sentences.map { "sentence=" + Serve.query($0) }.joined(separator: "&")
            let answers = [
                try server.postForm("/v1/scores", photo: photo, filename: "\(name).jpg", fields: Self.sentences.map { ("sentence", $0) }),
                try server.post("/v1/scores" + query, photo: photo),
                try server.postForm("/v1/scores?sentence=" + Serve.query(Self.sentences[0]), photo: photo,
                                    fields: Self.sentences.dropFirst().map { ("sentence", $0) }),
            ]
            for (way, answer) in answers.enumerated() {
                #expect(answer.status == 200, "\(name) way \(way): \(answer.text)")
                let scores = try #require(answer.json?["scores"] as? [[String: Any]], "\(answer.text)")
                try #require(scores.count == Self.sentences.count, "\(answer.text)")
                for (number, score) in scores.enumerated() {
                    let want = expected[index * Self.sentences.count + number].filter { $0.key != "line" && $0.key != "image" }
                    let differences = Serve.differences(score, want)
                    #expect(differences.isEmpty, "\(name) way \(way) sentence \(number): \(differences)")
                }
            }
            #expect(answers[0].json?["image"] as? String == "\(name).jpg" && answers[1].json?["image"] as? String == "upload")
            #expect(answers[0].json?["timings"] is [String: Any])
        }
        try Serve.expectHealthy(server)
    }

    /// `/v1/alignments` gives `caption align --json`'s words, regions and scores, each word with
    /// the box of its region.
    @Test func alignmentsEqualCaptionAlignWithBoxes() throws {
        let server = try Serve.shared()
        let cases = [("chelsea", "a brown cat sits on a zxqvy rug"), ("coffee", "A cup of coffee, on a table.")]
        let cli = Serve.concurrently(cases.count) { index in
            try CLI.run(["align", Serve.example(cases[index].0).path, cases[index].1, "--json"])
        }
        for (index, (name, sentence)) in cases.enumerated() {
            let run = try cli[index].get()
            #expect(run.status == 0, "\(run.stderr)")
            let expected = try #require(try Serve.jsonLines(run.stdout).first)
            let photo = try Serve.photo(name)
            for answer in [try server.postForm("/v1/alignments", photo: photo, fields: [("sentence", sentence)]),
                           try server.post("/v1/alignments?sentence=" + Serve.query(sentence), photo: photo)] {
                #expect(answer.status == 200, "\(answer.text)")
                let json = try #require(answer.json)
                let words = try #require(json["words"] as? [[String: Any]])
                let expectedWords = try #require(expected["words"] as? [[String: Any]])
                let differences = Serve.differences(json.filter { !["image", "timings", "words"].contains($0.key) },
                                                    expected.filter { !["image", "words"].contains($0.key) })
                #expect(differences.isEmpty, "\(name): \(differences)")
                try #require(words.count == expectedWords.count, "\(json)")
                for (word, cliWord) in zip(words, expectedWords) {
                    let differences = Serve.differences(word.filter { $0.key != "box" }, cliWord)
                    #expect(differences.isEmpty, "\(name): \(differences)")
                    // The box is the region's cell of the grid × grid cells, or the whole photo.
                    let grid = Double(try #require(json["grid"] as? Int))
                    let box = try #require(word["box"] as? [String: Double], "\(word)")
                    var want: [Double] = [0, 0, 1, 1]
                    if let row = word["row"] as? Int, let column = word["column"] as? Int {
                        want = [Double(column) / grid, Double(row) / grid, 1 / grid, 1 / grid]
                    }
                    let got: [Double] = ["left", "top", "width", "height"].map { box[$0] ?? -1 }
                    #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-3 }, "\(word)")
                }
            }
        }
        // The words are the sentence's tokens, in order, unknown ones marked.
        let answer = try server.postForm("/v1/alignments", photo: try Serve.photo("chelsea"), fields: [("sentence", cases[0].1)])
        let words = try #require(answer.json?["words"] as? [[String: Any]])
        #expect(words.map { $0["word"] as? String ?? "" } == cases[0].1.split(separator: " ").map(String.init))
        #expect(words.map { $0["known"] as? Bool ?? true } == [true, true, true, true, true, true, false, true])
        try Serve.expectHealthy(server)
    }
}
