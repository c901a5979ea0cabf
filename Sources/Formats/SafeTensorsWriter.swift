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
        var json = "{"
        var separator = ""
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                .map { JSON.quoted($0) + ":" + JSON.quoted(metadata[$0]!) }
            json += JSON.quoted(SafeTensorsHeader.metadataKey) + ":{" + pairs.joined(separator: ",") + "}"
            separator = ","
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
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            json += separator + JSON.quoted(name)
                + ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            separator = ","
            offset = end
        }
        json += "}"
        var header = Array(json.utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
    }
}
