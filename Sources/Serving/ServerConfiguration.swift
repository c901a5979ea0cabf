import Application

/// How `caption serve` listens, batches and limits: a plain value the CLI fills in, with one
/// `validate()` for every number, as `DecodingPolicy` has for decoding.
public struct ServerConfiguration: Sendable {
    /// Loopback unless told otherwise: a captioner on a public address should have a token.
    public var host = "127.0.0.1"
    /// 0 picks a free port (printed at start), for tests and scripts.
    public var port = 8080
    /// When set, every `/v1` route and `/metrics` demand `Authorization: Bearer <token>`.
    public var token: String?
    /// The one origin whose pages may call the API from a browser (CORS); nil: none.
    public var corsOrigin: String?
    /// Largest request body, in megabytes (413 above it).
    public var maxBodyMegabytes = 20
    public var maxBodyBytes: Int { maxBodyMegabytes << 20 }
    /// Largest photo, in pixels, read from its header before decoding (422 above it).
    public var maxPixels = 100_000_000
    /// Photos encoded together and beam-searched in lockstep (`caption batch`'s default).
    public var batchSize = BatchRunner.defaultBatchSize
    /// How long the first photo of a batch waits for others to join it, in milliseconds.
    public var batchWindowMilliseconds = 5.0
    /// Photos waiting for the model beyond which new ones get 503 with Retry-After.
    public var queueCapacity = 64
    /// Seconds a request may take, queueing included, before it is answered 504.
    public var timeoutSeconds = 60.0

    public init() {}

    /// The ranges every number must lie in: what `validate()` checks and `--help` quotes.
    public enum Limits {
        public static let port = 0...65535
        public static let maxBodyMegabytes = 1...1024
        public static let batchSize = 1...256
        public static let batchWindowMilliseconds = 0.0...1000.0
        public static let queueCapacity = 1...100_000
        public static let timeoutSeconds = 0.001...3600.0
    }

    /// Throws a usage error naming the first option out of its range (NaN is never in range).
    public func validate() throws(CaptionError) {
        func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, _ option: String) throws(CaptionError) {
            guard range.contains(value) else {
                throw .usage(option, "must be in \(range.lowerBound)…\(range.upperBound), got \(value)")
            }
        }
        try check(port, in: Limits.port, "--port")
        try check(maxBodyMegabytes, in: Limits.maxBodyMegabytes, "--max-body")
        try check(maxPixels, in: 1...Int.max, "--max-pixels")
        try check(batchSize, in: Limits.batchSize, "--batch-size")
        try check(batchWindowMilliseconds, in: Limits.batchWindowMilliseconds, "--batch-window")
        try check(queueCapacity, in: Limits.queueCapacity, "--queue")
        try check(timeoutSeconds, in: Limits.timeoutSeconds, "--timeout")
        if host.isEmpty { throw .usage("--host", "needs an address, such as 127.0.0.1 or 0.0.0.0") }
        if let token, token.isEmpty || token.contains(where: { $0.isWhitespace || !$0.isASCII }) {
            throw .usage("--token", "must be non-empty printable ASCII without spaces")
        }
        if let corsOrigin, corsOrigin.isEmpty || corsOrigin.contains(where: { $0.isWhitespace }) {
            throw .usage("--cors", "needs one origin, such as https://example.org")
        }
    }

    /// Whether `host` is reachable only from this machine.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
