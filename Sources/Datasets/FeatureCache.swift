import Foundation
import Support
import Tensors

/// Encoder outputs kept on disk, keyed by the SHA-256 of each image file's bytes, so the encoder
/// runs once per image however often training, evaluation or retrieval need its features.
///
/// One append-only file: a header naming the encoder weights that made the features
/// (``FeatureCacheHeader``: `CAPFEAT2` and the weights file's SHA-256), then records
///
///     key (32 bytes) | vector [512] float32 | pool5 [7·7·512] float16
///
/// Every record has the same size, so a crash (or Ctrl-C) can at worst leave a partial last
/// record, which `open` drops; the next run appends from there and loses nothing else. The
/// header is written whole (through `AtomicFile`) before any record.
///
/// A cache takes features from the weights it was made with only: opening it with other
/// weights fails, so one file never mixes two feature spaces. An old `CAPFEAT1` cache records
/// no weights; it is read and extended as before, with `weights == nil`.
public final class FeatureCache {
    public static let vectorCount = 512
    public static let regionCount = 7 * 7 * 512
    static let recordSize = 32 + vectorCount * 4 + regionCount * 2

    /// Cached features of one image.
    public struct Entry: Sendable {
        /// `[512]`: the mean-pooled image vector.
        public var vector: [Float]
        /// `[7, 7, 512]` HWC: the region vectors (stored as float16).
        public var pool5: Tensor
    }

    public let url: URL
    /// The encoder weights these features come from; nil for a `CAPFEAT1` cache (unknown).
    public let weights: EncoderWeightsDigest?
    private let headerSize: UInt64
    private var offsets: [Data: UInt64] = [:]
    private let handle: FileHandle

    /// Opens the cache at `url` for features made with `weights`, creating it (and its folder)
    /// if needed, and indexes the complete records. A cache made with other weights is refused.
    public init(url: URL, weights: EncoderWeightsDigest) throws {
        self.url = url
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: url.path) {
            try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try AtomicFile.save(FeatureCacheHeader(weights: weights).bytes, to: url)
            } catch let FileError.unwritable(_, reason) {
                throw FeatureCacheError(url: url, reason: "cannot create the file: \(reason)")
            }
        }
        handle = try FileHandle(forUpdating: url)
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        let prefix = Array(try handle.read(upToCount: FeatureCacheHeader.maxSize) ?? Data())
        let header: FeatureCacheHeader
        do {
            header = try FeatureCacheHeader(reading: prefix)
        } catch {
            throw FeatureCacheError(url: url, reason: error.reason)
        }
        if let made = header.weights, made != weights {
            throw FeatureCacheWeightsMismatch(url: url, made: made, wanted: weights)
        }
        self.weights = header.weights
        headerSize = UInt64(header.size)
        let records = (size - headerSize) / UInt64(Self.recordSize)
        for index in 0..<records {
            let offset = headerSize + index * UInt64(Self.recordSize)
            try handle.seek(toOffset: offset)
            guard let key = try handle.read(upToCount: 32), key.count == 32 else { break }
            offsets[key] = offset
        }
        // Drop a partial last record left by an interrupted run.
        try handle.truncate(atOffset: headerSize + records * UInt64(Self.recordSize))
    }

    deinit { try? handle.close() }

    /// Number of images cached.
    public var count: Int { offsets.count }

    public func contains(_ key: Data) -> Bool { offsets[key] != nil }

    /// The features stored under `key`, or nil.
    public func entry(for key: Data) throws -> Entry? {
        guard let offset = offsets[key] else { return nil }
        try handle.seek(toOffset: offset + 32)
        guard let body = try handle.read(upToCount: Self.recordSize - 32), body.count == Self.recordSize - 32 else {
            throw FeatureCacheError(url: url, reason: "record at byte \(offset) is truncated")
        }
        return body.withUnsafeBytes { raw in
            let vector = (0..<Self.vectorCount).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            let base = Self.vectorCount * 4
            let regions = (0..<Self.regionCount).map {
                Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: base + 2 * $0, as: UInt16.self)))
            }
            return Entry(vector: vector, pool5: Tensor(shape: [7, 7, 512], data: regions))
        }
    }

    /// Appends one image's features and flushes them to disk, so an interrupted run keeps them.
    public func add(key: Data, vector: [Float], pool5: Tensor) throws {
        precondition(key.count == 32 && vector.count == Self.vectorCount && pool5.count == Self.regionCount,
                     "FeatureCache.add: wrong key or feature size")
        guard offsets[key] == nil else { return }
        var record = Data(capacity: Self.recordSize)
        record.append(key)
        vector.withUnsafeBytes { record.append(contentsOf: $0) }
        let halves = pool5.data.map { Float16($0).bitPattern }
        halves.withUnsafeBytes { record.append(contentsOf: $0) }
        let offset = try handle.seekToEnd()
        try handle.write(contentsOf: record)
        try handle.synchronize()
        offsets[key] = offset
    }
}

/// A feature-cache file that cannot be used, with the reason.
public struct FeatureCacheError: Error, CustomStringConvertible {
    public let url: URL
    public let reason: String
    public var description: String { "\(url.path): \(reason)" }
}

/// A cache opened with other encoder weights than the ones that made it: its features and the
/// new ones would live in different spaces, so nothing is added.
public struct FeatureCacheWeightsMismatch: Error, CustomStringConvertible {
    public let url: URL
    /// The weights the cache's features come from.
    public let made: EncoderWeightsDigest
    /// The weights it was opened with.
    public let wanted: EncoderWeightsDigest
    public var description: String {
        "\(url.path): holds features of other encoder weights (\(made)) than these (\(wanted)): "
            + "use another cache file for these weights, or the weights it was made with"
    }
}
