import Application
import Encoder
import Foundation
import Support
import Tensors

/// Gathers the photos of concurrent requests into one encoder batch and one lockstep beam
/// search, so that 16 clients get the throughput of `caption batch`, not that of 16 one-photo
/// runs.
///
/// Requests `submit` a preprocessed photo `[224, 224, 3]` and wait. One worker thread takes the
/// queue as it stands: when photos are waiting it takes up to `batchSize` of them, letting the
/// first wait at most `window` for others to join; it encodes them together (one photo per
/// core), then beam-searches the captions of each group of photos that asked for the same
/// decoding policy in lockstep. While the worker is busy the queue fills, so under load every
/// batch is full. The queue is bounded: past `capacity` waiting photos, `submit` refuses at once
/// (the server answers 503 with Retry-After) instead of letting latency grow without end.
final class PhotoBatcher: @unchecked Sendable {
    /// What a request wants done with its photo.
    enum Work: Sendable {
        /// Captions by this pipeline: the server's models under the request's policy.
        case caption(CaptionPipeline)
        /// The encoder's features alone (scores, alignments).
        case encode
    }

    /// What came back for one photo, with where its time went.
    struct Outcome: Sendable {
        var features: EncoderFeatures
        /// The captions, when asked for.
        var record: BatchRecord?
        /// Waiting in the queue, in the encoder, and in the beam search of the photo's group.
        var queued, encoding, captioning: Duration
        /// Photos that shared this photo's encoder batch.
        var batchCount: Int
    }

    enum Refusal: Error, Sendable {
        /// The queue already holds `capacity` photos.
        case queueFull
        /// The request's deadline passed before its photo was done.
        case timedOut
        /// The server is shutting down and no longer takes photos.
        case stopped
    }

    let encoder: VGGEncoder
    let batchSize: Int
    let window: Duration
    let capacity: Int
    /// Called after each batch with its photo count, for the metrics.
    private let onBatch: @Sendable (Int) -> Void

    private let condition = NSCondition()
    private var waiting: [Ticket] = []
    private var stopping = false
    private var worker: Thread?
    private let workerDone = DispatchSemaphore(value: 0)

    init(encoder: VGGEncoder, batchSize: Int, window: Duration, capacity: Int,
         onBatch: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.encoder = encoder
        self.batchSize = batchSize
        self.window = window
        self.capacity = capacity
        self.onBatch = onBatch
        let thread = Thread { [unowned self] in
            self.work()
            self.workerDone.signal()
        }
        thread.name = "caption-model"
        worker = thread
        thread.start()
    }

    /// Photos waiting for the model (not counting the batch being worked on).
    var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting.count
    }

    /// Queues a photo and waits for its outcome, at most until `deadline`.
    func submit(_ input: Tensor, name: String, work: Work, deadline: ContinuousClock.Instant) async throws -> Outcome {
        let ticket = Ticket(input: input, name: name, work: work)
        return try await withCheckedThrowingContinuation { continuation in
            ticket.start(continuation, deadline: deadline)
            condition.lock()
            let refusal: Refusal? = stopping ? .stopped : waiting.count >= capacity ? .queueFull : nil
            if refusal == nil {
                waiting.append(ticket)
                condition.signal()
            }
            condition.unlock()
            if let refusal { ticket.finish(.failure(refusal)) }
        }
    }

    /// Finishes the photos already queued, then stops the worker: the server calls this once it
    /// has stopped taking requests.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        workerDone.wait()
    }

    private func work() {
        while let batch = nextBatch() {
            let started = ContinuousClock.now
            // A photo whose request gave up (timed out) while queued is not worth encoding.
            let live = batch.filter { !$0.isFinished }
            guard !live.isEmpty else { continue }
            let features = encoder.encode(batch: live.map(\.input)).map(\.features)
            let encoded = ContinuousClock.now
            var records = [BatchRecord?](repeating: nil, count: live.count)
            var captioning = [Duration](repeating: .zero, count: live.count)
            for group in Self.groups(live) {
                let groupStart = ContinuousClock.now
                let found = group.pipeline.records(images: group.indices.map { live[$0].name },
                                                   features: group.indices.map { features[$0] })
                let took = ContinuousClock.now - groupStart
                for (index, record) in zip(group.indices, found) {
                    records[index] = record
                    captioning[index] = took
                }
            }
            for (index, ticket) in live.enumerated() {
                ticket.finish(.success(Outcome(features: features[index], record: records[index],
                                               queued: started - ticket.queuedAt, encoding: encoded - started,
                                               captioning: captioning[index], batchCount: live.count)))
            }
            onBatch(live.count)
        }
    }

    /// The next photos to work on, or nil once stopping with none left. Waits for the first
    /// photo, then up to `window` for the batch to fill.
    private func nextBatch() -> [Ticket]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !stopping { condition.wait() }
        if waiting.isEmpty { return nil }
        let until = Date().addingTimeInterval(window / .seconds(1))
        while waiting.count < batchSize && !stopping && condition.wait(until: until) {}
        let taken = Array(waiting.prefix(batchSize))
        waiting.removeFirst(taken.count)
        return taken
    }

    /// The photos that asked for captions, grouped by policy (one lockstep search each), in
    /// order of first appearance.
    private static func groups(_ tickets: [Ticket]) -> [(pipeline: CaptionPipeline, indices: [Int])] {
        var groups: [(pipeline: CaptionPipeline, indices: [Int])] = []
        for (index, ticket) in tickets.enumerated() {
            guard case .caption(let pipeline) = ticket.work else { continue }
            if let at = groups.firstIndex(where: { $0.pipeline.policy == pipeline.policy }) {
                groups[at].indices.append(index)
            } else {
                groups.append((pipeline, [index]))
            }
        }
        return groups
    }
}

/// One queued photo and the request waiting for it. It is finished exactly once: by the worker
/// with its outcome, or by its deadline or a refusal, whichever comes first; later attempts are
/// ignored, so a photo that times out while being worked on costs the worker nothing more.
private final class Ticket: @unchecked Sendable {
    let input: Tensor
    let name: String
    let work: PhotoBatcher.Work
    let queuedAt = ContinuousClock.now
    private let lock = NSLock()
    private var continuation: CheckedContinuation<PhotoBatcher.Outcome, any Error>?
    private var finished = false
    private var timer: Task<Void, Never>?

    init(input: Tensor, name: String, work: PhotoBatcher.Work) {
        self.input = input
        self.name = name
        self.work = work
    }

    var isFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }

    func start(_ continuation: CheckedContinuation<PhotoBatcher.Outcome, any Error>, deadline: ContinuousClock.Instant) {
        lock.lock()
        self.continuation = continuation
        lock.unlock()
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            if !Task.isCancelled { self?.finish(.failure(PhotoBatcher.Refusal.timedOut)) }
        }
        lock.lock()
        if finished { timer.cancel() } else { self.timer = timer }
        lock.unlock()
    }

    func finish(_ result: Result<PhotoBatcher.Outcome, any Error>) {
        lock.lock()
        guard !finished, let continuation else { lock.unlock(); return }
        finished = true
        self.continuation = nil
        let timer = self.timer
        lock.unlock()
        timer?.cancel()
        continuation.resume(with: result)
    }
}
