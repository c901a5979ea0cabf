import Foundation

/// A bounded first-in first-out queue between threads: producers block when it is full, so
/// memory stays bounded however many files a batch has, and the consumer blocks when it is empty.
public final class WorkQueue<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private let capacity: Int
    private var producers: Int
    private var cancelled = false

    public init(capacity: Int, producers: Int) {
        self.capacity = capacity
        self.producers = producers
    }

    /// Adds an item, waiting for room; false once the consumer has cancelled (stop producing).
    public func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// A producer is done.
    public func finish() {
        condition.lock()
        producers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Up to `count` items, waiting until that many are ready or every producer has finished;
    /// empty when all items have been taken.
    public func take(upTo count: Int) -> [Item] {
        condition.lock()
        defer { condition.unlock() }
        while items.count < count && producers > 0 { condition.wait() }
        let taken = Array(items.prefix(count))
        items.removeFirst(taken.count)
        condition.broadcast()
        return taken
    }

    /// Releases waiting producers and drops what is queued.
    public func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
