import Foundation

/// At most `count` photos are decoded at once: decoding runs beside the model's batch, and more
/// decoders than cores would only share them, each holding a decoded photo (up to
/// `--max-pixels` × 3 bytes) meanwhile. Waiting requests keep only their compressed bodies.
actor DecodeSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) {
        free = count
    }

    /// `body` run while holding a slot.
    func run<T: Sendable>(_ body: @Sendable () throws -> T) async throws -> T {
        if free > 0 {
            free -= 1
        } else {
            // The slot is handed over by `release`, so `free` stays as it is.
            await withCheckedContinuation { waiting.append($0) }
        }
        defer { release() }
        return try body()
    }

    private func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// Requests on the `/v1` routes at once, from their first byte to their answer: past `limit`
/// (the photos the queue holds plus a batch being worked on), a new one is answered 503 at
/// once. This bounds the memory uploads can hold (each at most `--max-body`) however many
/// clients connect, and answers an overload in microseconds instead of after a long wait.
final class InFlightLimit: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var count = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// `body`, if fewer than `limit` requests are in flight; else a 503 with Retry-After.
    func admit<T>(_ body: () async throws -> T) async throws -> T {
        let admitted = lock.withLock {
            if count >= limit { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw APIError(.serviceUnavailable, "the server is busy: \(limit) requests are already in flight; retry shortly",
                           headers: [.retryAfter: "1"])
        }
        defer { lock.withLock { count -= 1 } }
        return try await body()
    }
}
