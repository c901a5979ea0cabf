import Foundation
import Formats
import Support

/// The JSON record written beside imported weights (`vgg16.manifest.json`): where they came
/// from, checksums of both files, and each layer's shapes and ONNX origin.
///
/// The checksums let setup scripts and the encoder tell a stale or hand-edited weight file
/// from the one this importer produced.
public struct ImportManifest: Sendable, Codable, Equatable {
    /// One imported conv layer and the ONNX values it came from.
    public struct Layer: Sendable, Codable, Equatable {
        public var name: String
        public var weightShape: [Int]
        public var biasShape: [Int]
        public var onnxNode: String
        public var weightSource: String
        public var biasSource: String

        enum CodingKeys: String, CodingKey {
            case name
            case weightShape = "weight_shape"
            case biasShape = "bias_shape"
            case onnxNode = "onnx_node"
            case weightSource = "weight_source"
            case biasSource = "bias_source"
        }
    }

    public var architecture: String
    /// The ONNX file as given on the command line.
    public var source: String
    public var sourceSHA256: String
    /// File name of the safetensors output (the manifest sits beside it).
    public var output: String
    public var outputSHA256: String
    public var producer: String
    public var inputChannelOrder: String
    public var preprocessing: String
    public var weightLayout: String
    public var dtype: String
    public var parameterCount: Int
    public var layers: [Layer]
    /// ISO 8601, UTC.
    public var importedAt: String

    enum CodingKeys: String, CodingKey {
        case architecture, source, output, producer, preprocessing, dtype, layers
        case sourceSHA256 = "source_sha256"
        case outputSHA256 = "output_sha256"
        case inputChannelOrder = "input_channel_order"
        case weightLayout = "layout"
        case parameterCount = "parameter_count"
        case importedAt = "imported_at"
    }

    public static func read(contentsOf url: URL) throws -> ImportManifest {
        let bytes = try MappedFile.read(url)
        do {
            return try JSONDecoder().decode(ImportManifest.self, from: bytes)
        } catch let error as DecodingError {
            throw WeightsError.invalidManifest(error.summary)
        }
    }

    /// Pretty, key-sorted JSON so manifests diff cleanly; written atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json: Data
        do {
            json = try encoder.encode(self)
        } catch {
            throw WeightsError.unwritable(path: url.path, "\(error)")
        }
        try AtomicFile.save([UInt8](json) + [UInt8(ascii: "\n")], to: url)
    }
}
