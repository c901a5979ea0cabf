import Support

/// Everything that can go wrong reading, writing or importing weight files.
///
/// `description` is one line that names the problem but not the file: the CLI prints
/// `caption: error: <file>: <description>`, so the file name would otherwise appear twice.
/// Each case carries the values a user needs to see what is wrong (the tensor, the numbers).
public enum WeightsError: Error, CustomStringConvertible, Sendable {
    /// The file could not be opened or read at all.
    case unreadable(String)
    /// The file ends before a structure it declares (header, tensor data, protobuf field).
    case truncated(String)
    /// The safetensors header length is larger than the file or than any sane header.
    case headerTooLarge(length: UInt64, limit: Int)
    /// The safetensors JSON header is not valid JSON, not an object, or has a bad entry.
    case invalidHeader(String)
    /// A tensor's dtype is not one of F32, F16, BF16.
    case unsupportedDType(tensor: String, dtype: String)
    /// A shape has a negative dimension, a non-integer, or too many elements.
    case invalidShape(tensor: String, String)
    /// A tensor's `data_offsets` are out of range, overlap, leave gaps, or disagree with its shape.
    case invalidOffsets(tensor: String, String)
    /// A tensor the caller asked for is not in the file.
    case missingTensor(String)
    /// A tensor is present with a different shape than the caller needs.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// The bytes are not a well-formed protobuf message.
    case malformedProtobuf(String)
    /// The protobuf is well formed but is not a usable ONNX model.
    case invalidONNX(String)
    /// A tensor keeps its values in a separate file; this reader only takes self-contained models.
    case externalData(tensor: String)
    /// An ONNX graph does not have the convolution layout the importer expects.
    case layoutMismatch(layer: String, String)
    /// A weights manifest is not the JSON this module writes.
    case invalidManifest(String)
    /// Writing an output file failed; nothing half-written is left behind.
    case unwritable(path: String, String)

    public var description: String {
        // Names, dtypes and JSON keys come from the file itself and may hold a newline.
        OneLine.escaped(details)
    }

    private var details: String {
        switch self {
        case .unreadable(let reason):
            return "cannot read file: \(reason)"
        case .truncated(let what):
            return "file is truncated: \(what)"
        case .headerTooLarge(let length, let limit):
            return "header length \(length) is larger than \(limit) bytes"
        case .invalidHeader(let reason):
            return "invalid safetensors header: \(reason)"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor '\(tensor)': unsupported dtype '\(dtype)' (expected F32, F16 or BF16)"
        case .invalidShape(let tensor, let reason):
            return "tensor '\(tensor)': invalid shape: \(reason)"
        case .invalidOffsets(let tensor, let reason):
            return "tensor '\(tensor)': invalid data_offsets: \(reason)"
        case .missingTensor(let name):
            return "tensor '\(name)' is missing"
        case .shapeMismatch(let tensor, let expected, let found):
            return "tensor '\(tensor)' has shape \(found), expected \(expected)"
        case .malformedProtobuf(let reason):
            return "malformed protobuf: \(reason)"
        case .invalidONNX(let reason):
            return "invalid ONNX model: \(reason)"
        case .externalData(let tensor):
            return "tensor '\(tensor)': external data is not supported (save the model with its weights inside)"
        case .layoutMismatch(let layer, let reason):
            return "layer \(layer): \(reason)"
        case .invalidManifest(let reason):
            return "invalid weights manifest: \(reason)"
        case .unwritable(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
