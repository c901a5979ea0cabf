/// A map that holds at most `capacity` entries, forgetting the least recently used one to make
/// room: what keeps `caption score --pairs` at a fixed memory use however long its input, while
/// an image named on many lines is still encoded only once as long as it keeps coming back.
public struct LRUCache<Key: Hashable, Value> {
    public let capacity: Int
    private var entries: [Key: (value: Value, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity >= 1, "LRUCache capacity must be positive")
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// The value for `key`, marking it as just used; nil when absent.
    public mutating func value(for key: Key) -> Value? {
        guard let entry = entries[key] else { return nil }
        clock += 1
        entries[key] = (entry.value, clock)
        return entry.value
    }

    /// Stores `value`, evicting the least recently used entry if the cache is full. Eviction
    /// scans all entries: capacities here are a few hundred, and each miss costs an image
    /// encoding (~0.2 s), so a linked list would save nothing measurable.
    public mutating func insert(_ value: Value, for key: Key) {
        clock += 1
        if entries[key] == nil && entries.count >= capacity,
           let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            entries[oldest] = nil
        }
        entries[key] = (value, clock)
    }
}
