/// The first bytes of a feature-cache file: the format version, and which encoder weights made
/// the features after it.
///
///     CAPFEAT3 | SHA-256 of the encoder weights file (32 bytes)      40 bytes, records hold conv5_3
///     CAPFEAT2 | SHA-256 of the encoder weights file (32 bytes)      40 bytes, records hold pool5
///     CAPFEAT1                                                        8 bytes, caches made before
///                                                                     the weights were recorded
///
/// Fixed-size records follow (see ``FeatureCache``). `CAPFEAT1` and `CAPFEAT2` files are still
/// read, and still appended to, as they always were; a `CAPFEAT1` file's weights are unknown
/// (`weights == nil`).
struct FeatureCacheHeader: Equatable {
    static let versionOne = Array("CAPFEAT1".utf8)
    static let versionTwo = Array("CAPFEAT2".utf8)
    static let versionThree = Array("CAPFEAT3".utf8)
    /// Enough bytes to read any header.
    static let maxSize = 40

    /// The weights the features were made with; nil for a `CAPFEAT1` file.
    var weights: EncoderWeightsDigest?
    /// Which region grid each record keeps.
    var layout: FeatureCacheLayout

    var size: Int { weights == nil ? 8 : 40 }

    var bytes: [UInt8] {
        guard let weights else { return Self.versionOne }
        return (layout == .conv5 ? Self.versionThree : Self.versionTwo) + weights.bytes
    }

    /// Why a file's first bytes are not a header this version reads.
    struct Invalid: Error {
        let reason: String
    }

    /// Reads the header at the start of `prefix` (the file's first ``maxSize`` bytes, or all of
    /// a shorter file).
    init(reading prefix: [UInt8]) throws(Invalid) {
        let magic = Array(prefix.prefix(8))
        if magic == Self.versionOne {
            weights = nil
            layout = .pool5
        } else if magic == Self.versionTwo || magic == Self.versionThree {
            guard prefix.count >= 40 else { throw Invalid(reason: "truncated: the header ends after \(prefix.count) of 40 bytes") }
            weights = EncoderWeightsDigest(bytes: Array(prefix[8..<40]))
            layout = magic == Self.versionThree ? .conv5 : .pool5
        } else if magic.count == 8, magic.starts(with: Array("CAPFEAT".utf8)) {
            throw Invalid(reason: "a feature cache of a newer format (\(String(decoding: magic, as: UTF8.self))) than this caption reads: update caption")
        } else {
            throw Invalid(reason: "not a caption feature cache (bad magic)")
        }
    }

    /// A new file's header: conv5_3 records whenever the weights are known.
    init(weights: EncoderWeightsDigest?, layout: FeatureCacheLayout = .conv5) {
        self.weights = weights
        self.layout = weights == nil ? .pool5 : layout
    }
}

/// What one record of a feature cache keeps besides its key and the whole-image vector `[512]`
/// float32: pool5 `[7, 7, 512]` (`CAPFEAT1`/`2`), or conv5_3 `[14, 14, 512]` (`CAPFEAT3`), from
/// which pool5 is its 2 × 2 max pool. Regions are stored as float16; rounding is monotonic, so
/// pooling stored conv5_3 gives exactly the pool5 a `CAPFEAT2` record would hold.
public enum FeatureCacheLayout: Sendable, Equatable {
    case pool5, conv5

    /// The stored grid: 7 for pool5, 14 for conv5_3.
    public var gridSize: Int { self == .pool5 ? 7 : 14 }
    /// float16 values a record keeps of its grid.
    var regionValueCount: Int { gridSize * gridSize * FeatureCache.vectorCount }
    /// Bytes of one record: key, vector, grid.
    var recordSize: Int { 32 + FeatureCache.vectorCount * 4 + regionValueCount * 2 }
}
