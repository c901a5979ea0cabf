import Foundation
import Prometheus

/// What `/metrics` reports, in Prometheus text format:
///
/// - `caption_http_requests_total{route, status}`: requests answered;
/// - `caption_http_request_duration_seconds{route}`: a latency histogram;
/// - `caption_queue_depth`: photos waiting for the model;
/// - `caption_photos_total` and `caption_photos_per_second` (over the last 10 seconds);
/// - `caption_batch_photos`: how many photos each model batch held.
///
/// Routes are the router's patterns (`/v1/captions`) or `unmatched`, so a client cannot grow
/// the label set.
final class ServerMetrics: @unchecked Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let latency: [String: DurationHistogram]
    private let queueDepth: Gauge
    private let photos: Counter
    private let photosPerSecond: Gauge
    private let batchPhotos: ValueHistogram
    private let lock = NSLock()
    /// When each recent batch finished and its photo count, for the rate.
    private var recentBatches: [(at: ContinuousClock.Instant, photos: Int)] = []
    static let rateWindow = Duration.seconds(10)
    static let routes = ["/", "/healthz", "/metrics", "/openapi.yaml", "/v1/captions", "/v1/scores", "/v1/alignments", "unmatched"]

    init() {
        let buckets: [Duration] = [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250),
                                   .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30)]
        var latency: [String: DurationHistogram] = [:]
        for route in Self.routes {
            latency[route] = registry.makeDurationHistogram(descriptor: Self.name("http_request_duration", "seconds",
                                                                                  "Time from a request's head to its answer"),
                                                            labels: [("route", route)], buckets: buckets)
        }
        self.latency = latency
        queueDepth = registry.makeGauge(descriptor: Self.name("queue", "depth", "Photos waiting for the model"))
        photos = registry.makeCounter(descriptor: Self.name("photos", "total", "Photos encoded"))
        photosPerSecond = registry.makeGauge(descriptor: Self.name("photos", "per_second", "Photos encoded a second over the last 10 s"))
        batchPhotos = registry.makeValueHistogram(descriptor: Self.name("batch", "photos", "Photos in each model batch"),
                                                  buckets: [1, 2, 4, 8, 16, 32, 64])
    }

    /// `caption_<metric>_<unit>`, with its help line.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "caption", metricName: metric, unitName: unit, helpText: help)
    }

    /// One answered request.
    func answered(route: String, status: Int, after duration: Duration) {
        let route = Self.routes.contains(route) ? route : "unmatched"
        registry.makeCounter(descriptor: Self.name("http_requests", "total", "Requests answered, by route and status"),
                             labels: [("route", route), ("status", String(status))]).increment()
        latency[route]?.record(duration)
    }

    /// One model batch done.
    func batch(photos count: Int) {
        photos.increment(by: Int64(count))
        batchPhotos.record(Double(count))
        lock.lock()
        recentBatches.append((ContinuousClock.now, count))
        lock.unlock()
    }

    /// The text `/metrics` answers, with the queue depth and rate as of now.
    func exposition(queueDepth depth: Int) -> String {
        queueDepth.set(Double(depth))
        lock.lock()
        let now = ContinuousClock.now
        recentBatches.removeAll { now - $0.at > Self.rateWindow }
        let recent = recentBatches.reduce(0) { $0 + $1.photos }
        lock.unlock()
        photosPerSecond.set(Double(recent) / (Self.rateWindow / .seconds(1)))
        return registry.emitToString()
    }
}
