import Foundation
import Tensors
import Support

/// Writing safetensors files byte-for-byte as the reference implementation does.
///
/// The header is compact JSON: `__metadata__` first (omitted when empty, keys sorted so the
/// output is reproducible), then the tensors sorted by name (byte-wise), each with its
/// `dtype`, `shape` and `data_offsets`; it is padded with spaces to a multiple of 8 bytes so the
/// data buffer starts aligned. One storage dtype is used for every tensor.
extension SafeTensorsFile {
    /// Writes `tensors` and `metadata` to `url` atomically, converting values to `dtype`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:],
                             to url: URL, dtype: SafeTensorsDType = .f32) throws {
        let layout = try Layout(tensors, metadata: metadata, dtype: dtype)
        let file = try AtomicFile(destination: url)
        try file.append(layout.prefix)
        // One tensor at a time, so peak memory is one encoded tensor rather than the whole file.
        for name in layout.names {
            try file.append(dtype.encode(tensors[name]!.data))
        }
        try file.commit()
    }

    /// Writes this file's tensors and metadata to `url`; see `write(_:metadata:to:dtype:)`.
    public func write(to url: URL, dtype: SafeTensorsDType = .f32) throws {
        try Self.write(tensors, metadata: metadata, to: url, dtype: dtype)
    }

    /// The complete file as bytes, identical to what `write` puts on disk.
    public static func serialized(_ tensors: [String: Tensor], metadata: [String: String] = [:],
                                  dtype: SafeTensorsDType = .f32) throws -> [UInt8] {
        let layout = try Layout(tensors, metadata: metadata, dtype: dtype)
        var bytes = layout.prefix
        for name in layout.names { bytes += dtype.encode(tensors[name]!.data) }
        return bytes
    }
}

/// The 8-byte length plus JSON header, and the order the tensor data follows in.
private struct Layout {
    var prefix: [UInt8]
    var names: [String]

    init(_ tensors: [String: Tensor], metadata: [String: String], dtype: SafeTensorsDType) throws {
        // Byte-wise order, as Rust sorts `String`s; Swift's `<` on String uses Unicode order.
        names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var fields: [(String, JSON)] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            fields.append((SafeTensorsHeader.metadataKey, .object(keys.map { ($0, .string(metadata[$0]!)) })))
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            if name == SafeTensorsHeader.metadataKey {
                throw WeightsError.invalidHeader("'\(name)' is reserved and cannot name a tensor")
            }
            // Tensor's fields are public vars, so they can disagree; never write such a file.
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.data.count else {
                throw WeightsError.invalidShape(tensor: name, "\(tensor.shape) does not match \(tensor.data.count) values")
            }
            let end = offset + tensor.data.count * dtype.byteSize
            fields.append((name, .object([("dtype", .string(dtype.rawValue)), ("shape", .array(tensor.shape.map { .int($0) })),
                                          ("data_offsets", .array([.int(offset), .int(end)]))])))
            offset = end
        }
        let json = JSON.object(fields).text
        var header = Array(json.utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
    }
}
