import Encoder
import Formats
import Foundation
import Support
import Tensors

/// Encoder outputs kept on disk, keyed by the SHA-256 of each image file's bytes, so the encoder
/// runs once per image however often training, evaluation or retrieval need its features.
///
/// One append-only file: a header naming the encoder weights that made the features
/// (``FeatureCacheHeader``: `CAPFEAT3` and the weights file's SHA-256), then records
///
///     key (32 bytes) | vector [512] float32 | conv5_3 [14·14·512] float16     (209 KB)
///
/// conv5_3 is the finest region grid the models read (the aligner's 196 cells); pool5, the
/// captioner's 49, is its 2 × 2 max pool, taken as a record is read. A `CAPFEAT2` cache,
/// made before, keeps pool5 `[7·7·512]` instead (52 KB a record); it is read and extended as
/// before, and has no conv5_3 to give.
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

    public let url: URL
    /// The encoder weights these features come from; nil for a `CAPFEAT1` cache (unknown).
    public let weights: EncoderWeightsDigest?
    /// What each record keeps: conv5_3, or only pool5 in a cache made before `CAPFEAT3`.
    public let layout: FeatureCacheLayout
    var recordSize: Int { layout.recordSize }
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
        layout = header.layout
        headerSize = UInt64(header.size)
        let recordSize = UInt64(header.layout.recordSize)
        let records = (size - headerSize) / recordSize
        for index in 0..<records {
            let offset = headerSize + index * recordSize
            try handle.seek(toOffset: offset)
            guard let key = try handle.read(upToCount: 32), key.count == 32 else { break }
            offsets[key] = offset
        }
        // Drop a partial last record left by an interrupted run.
        try handle.truncate(atOffset: headerSize + records * recordSize)
    }

    deinit { try? handle.close() }

    /// Number of images cached.
    public var count: Int { offsets.count }

    public func contains(_ key: Data) -> Bool { offsets[key] != nil }

    /// The features stored under `key`, or nil: `conv5` is set in a `CAPFEAT3` cache.
    public func entry(for key: Data) throws -> EncoderFeatures? {
        guard let offset = offsets[key] else { return nil }
        try handle.seek(toOffset: offset + 32)
        guard let body = try handle.read(upToCount: recordSize - 32), body.count == recordSize - 32 else {
            throw FeatureCacheError(url: url, reason: "record at byte \(offset) is truncated")
        }
        return body.withUnsafeBytes { raw in
            let vector = (0..<Self.vectorCount).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            let base = Self.vectorCount * 4, count = layout.regionValueCount
            let grid = [Float](unsafeUninitializedCapacity: count) { target, initialized in
                SafeTensorsDType.widenHalves(UnsafeRawBufferPointer(rebasing: raw[base...]), count: count,
                                             into: target.baseAddress!)
                initialized = count
            }
            let side = layout.gridSize
            let tensor = Tensor(shape: [side, side, Self.vectorCount], data: grid)
            if layout == .pool5 { return EncoderFeatures(vector: vector, pool5: tensor) }
            return EncoderFeatures(vector: vector, pool5: Pooling.maxPool2x2(tensor, workers: 1), conv5: tensor)
        }
    }

    /// Appends one image's features and flushes them to disk, so an interrupted run keeps them.
    /// A `CAPFEAT3` cache needs `features.conv5`; an older one keeps pool5.
    public func add(key: Data, features: EncoderFeatures) throws {
        let grid = layout == .conv5 ? features.conv5 : features.pool5
        precondition(key.count == 32 && features.vector.count == Self.vectorCount && grid?.count == layout.regionValueCount,
                     "FeatureCache.add: wrong key or feature size")
        guard offsets[key] == nil else { return }
        var record = Data(capacity: recordSize)
        record.append(key)
        features.vector.withUnsafeBytes { record.append(contentsOf: $0) }
        let halves = grid!.data.map { Float16($0).bitPattern }
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
