import Foundation
import Support

/// Which encoder weights made a set of features: the SHA-256 of the weights file, the same
/// digest `sha256sum weights/vgg16.safetensors` prints and `weights/vgg16.manifest.json` records.
///
/// Features from different weights live in different spaces, and nothing in the numbers shows
/// it: a captioner trained on a mix learns noise. So a feature cache records the digest of the
/// weights that filled it and refuses features from any other (``FeatureCache``), and a merge
/// refuses parts that disagree (``FeatureCacheMerge``).
public struct EncoderWeightsDigest: Sendable, Hashable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "EncoderWeightsDigest: a SHA-256 digest has 32 bytes")
        self.bytes = bytes
    }

    /// The digest of the weights file at `url` (about half a second for VGG16's 59 MB on one core).
    public static func ofFile(at url: URL) throws -> EncoderWeightsDigest {
        EncoderWeightsDigest(bytes: try SHA256.digest(ofFileAt: url))
    }

    public var hex: String { SHA256.hex(bytes) }

    /// `sha256 457ab4f7d106…`: short enough for an error line, long enough to tell weights apart.
    public var description: String { "sha256 \(hex.prefix(12))…" }
}
