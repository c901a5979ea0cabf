import Foundation
import Tensors
import Support

/// Writing safetensors files byte-for-byte as the reference implementation does.
///
/// The header is compact JSON: `__metadata__` first (omitted when empty, keys sorted so the
/// output is reproducible), then the tensors sorted by name (byte-wise), each with its
/// `dtype`, `shape` and `data_offsets`; it is padded with spaces so the data buffer starts at a
/// multiple of `alignment` bytes (8 as the reference does; 64 for files that are mapped and
/// used in place, `SafeTensorsMapping`). One storage dtype is used for every tensor.
extension SafeTensorsFile {
    /// Writes `tensors` and `metadata` to `url` atomically, converting values to `dtype`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:],
                             to url: URL, dtype: SafeTensorsDType = .f32, alignment: Int = 8) throws {
        let layout = try Layout(tensors.mapValues { $0.shape }, metadata: metadata, dtype: dtype, alignment: alignment) { tensors[$0]!.data.count }
        let file = try AtomicFile(destination: url)
        try file.append(layout.prefix)
        // One tensor at a time, so peak memory is one encoded tensor rather than the whole file.
        for name in layout.names {
            try file.append(dtype.encode(tensors[name]!.data))
        }
        try file.commit()
    }

    /// Writes F32 tensors given as float runs (`FloatStorage`, e.g. prepared kernels) to `url`
    /// atomically, the data starting at a multiple of `alignment` bytes.
    public static func write(floats tensors: [String: (shape: [Int], values: UnsafeBufferPointer<Float>)],
                             metadata: [String: String] = [:], to url: URL, alignment: Int = 64) throws {
        let layout = try Layout(tensors.mapValues { $0.shape }, metadata: metadata, dtype: .f32, alignment: alignment) {
            tensors[$0]!.values.count
        }
        let file = try AtomicFile(destination: url)
        try file.append(layout.prefix)
        for name in layout.names {
            #if _endian(little)
            try file.append(UnsafeRawBufferPointer(tensors[name]!.values))
            #else
            try file.append(SafeTensorsDType.f32.encode(Array(tensors[name]!.values)))
            #endif
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
        let layout = try Layout(tensors.mapValues { $0.shape }, metadata: metadata, dtype: dtype, alignment: 8) { tensors[$0]!.data.count }
        var bytes = layout.prefix
        for name in layout.names { bytes += dtype.encode(tensors[name]!.data) }
        return bytes
    }
}

/// The 8-byte length plus JSON header, and the order the tensor data follows in.
private struct Layout {
    var prefix: [UInt8]
    var names: [String]

    init(_ shapes: [String: [Int]], metadata: [String: String], dtype: SafeTensorsDType, alignment: Int,
         count: (String) -> Int) throws {
        // Byte-wise order, as Rust sorts `String`s; Swift's `<` on String uses Unicode order.
        names = shapes.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var fields: [(String, JSON)] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            fields.append((SafeTensorsHeader.metadataKey, .object(keys.map { ($0, .string(metadata[$0]!)) })))
        }
        var offset = 0
        for name in names {
            let shape = shapes[name]!, values = count(name)
            if name == SafeTensorsHeader.metadataKey {
                throw WeightsError.invalidHeader("'\(name)' is reserved and cannot name a tensor")
            }
            // Tensor's fields are public vars, so they can disagree; never write such a file.
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values else {
                throw WeightsError.invalidShape(tensor: name, "\(shape) does not match \(values) values")
            }
            let end = offset + values * dtype.byteSize
            fields.append((name, .object([("dtype", .string(dtype.rawValue)), ("shape", .array(shape.map { .int($0) })),
                                          ("data_offsets", .array([.int(offset), .int(end)]))])))
            offset = end
        }
        let json = JSON.object(fields).text
        var header = Array(json.utf8)
        // The data starts after the 8-byte length and the header.
        header += [UInt8](repeating: UInt8(ascii: " "), count: (alignment - (8 + header.count) % alignment) % alignment)
        prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
    }
}
