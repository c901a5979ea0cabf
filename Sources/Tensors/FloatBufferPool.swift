import Foundation

/// Float blocks freed by `FloatBuffer`s, kept for the next step instead of returned to the
/// system. Sizes are rounded up to one of 8 classes per power of two (≤ 12.5% slack) so a batch
/// with a few more words than the last still finds its blocks; at most `retainedBytes` are kept.
public final class FloatBufferPool: @unchecked Sendable {
    public static let shared = FloatBufferPool()
    /// Enough for every buffer of a B = 100 step at h = 512 (~70 MB) twice over.
    public static let retainedBytes = 256 << 20
    /// Blocks below this are left to malloc, which recycles small blocks well by itself.
    public static let minimumPooledCount = 16 << 10

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var freeBytes = 0

    /// The capacity a request for `count` floats is served with.
    public static func sizeClass(_ count: Int) -> Int {
        guard count > minimumPooledCount else { return max(1, count) }
        let step = 1 << max(0, (Int.bitWidth - 1 - count.leadingZeroBitCount) - 3)
        return (count + step - 1) / step * step
    }

    public func take(_ count: Int) -> (UnsafeMutablePointer<Float>, capacity: Int) {
        let capacity = Self.sizeClass(count)
        if capacity > Self.minimumPooledCount {
            lock.lock()
            defer { lock.unlock() }
            if let pointer = free[capacity]?.popLast() {
                freeBytes -= capacity * MemoryLayout<Float>.stride
                return (pointer, capacity)
            }
        }
        return (.allocate(capacity: capacity), capacity)
    }

    public func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        let bytes = capacity * MemoryLayout<Float>.stride
        if capacity > Self.minimumPooledCount {
            lock.lock()
            defer { lock.unlock() }
            if freeBytes + bytes <= Self.retainedBytes {
                free[capacity, default: []].append(pointer)
                freeBytes += bytes
                return
            }
        }
        pointer.deallocate()
    }
}
