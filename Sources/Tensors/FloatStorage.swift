#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed run of floats that is either owned (allocated here, freed with the object) or a view
/// into memory something else keeps alive, such as a file mapping: how a `Conv2D` holds its
/// prepared kernel, so a kernel read from a mapped cache file is used in place, with no copy.
public final class FloatStorage: @unchecked Sendable {
    public let base: UnsafePointer<Float>
    public let count: Int
    /// What keeps `base` valid when the floats are not ours (a mapping); nil when owned.
    private let owner: AnyObject?

    /// Copies `values` into storage owned by this object.
    public init(_ values: [Float]) {
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: max(1, values.count))
        values.withUnsafeBufferPointer { storage.initialize(from: $0.baseAddress ?? UnsafePointer(storage), count: $0.count) }
        base = UnsafePointer(storage)
        count = values.count
        owner = nil
    }

    /// `count` floats at `base`, valid for as long as `owner` lives; this object keeps it alive.
    public init(viewing base: UnsafePointer<Float>, count: Int, keepingAlive owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { UnsafeMutablePointer(mutating: base).deallocate() }
    }

    /// For a view into a file mapping: hands the whole pages it covers back to the page cache,
    /// so they stop counting in this process's memory until they are next read (a minor fault
    /// per page then, no disk read). Owned storage is left alone.
    public func releasePages() {
        guard owner != nil else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base + count)) / page * page
        guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
        madvise(address, end - start, MADV_DONTNEED)
    }

    /// Whether the floats are a view into memory this object does not own (a file mapping).
    public var isView: Bool { owner != nil }

    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: base, count: count) }
}
