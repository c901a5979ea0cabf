/// The first bytes of a feature-cache file: the format version, and which encoder weights made
/// the features after it.
///
///     CAPFEAT2 | SHA-256 of the encoder weights file (32 bytes)      40 bytes
///     CAPFEAT1                                                        8 bytes, caches made before
///                                                                     the weights were recorded
///
/// Fixed-size records follow (see ``FeatureCache``). A `CAPFEAT1` file is still read, and still
/// appended to, as it always was; its weights are unknown (`weights == nil`).
struct FeatureCacheHeader: Equatable {
    static let versionOne = Array("CAPFEAT1".utf8)
    static let versionTwo = Array("CAPFEAT2".utf8)
    /// Enough bytes to read any header.
    static let maxSize = 40

    /// The weights the features were made with; nil for a `CAPFEAT1` file.
    var weights: EncoderWeightsDigest?

    var size: Int { weights == nil ? 8 : 40 }

    var bytes: [UInt8] { weights.map { Self.versionTwo + $0.bytes } ?? Self.versionOne }

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
        } else if magic == Self.versionTwo {
            guard prefix.count >= 40 else { throw Invalid(reason: "truncated: the header ends after \(prefix.count) of 40 bytes") }
            weights = EncoderWeightsDigest(bytes: Array(prefix[8..<40]))
        } else if magic.count == 8, magic.starts(with: Array("CAPFEAT".utf8)) {
            throw Invalid(reason: "a feature cache of a newer format (\(String(decoding: magic, as: UTF8.self))) than this caption reads: update caption")
        } else {
            throw Invalid(reason: "not a caption feature cache (bad magic)")
        }
    }

    init(weights: EncoderWeightsDigest?) {
        self.weights = weights
    }
}
