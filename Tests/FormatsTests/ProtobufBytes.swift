import Foundation

/// Builds protobuf wire-format bytes by hand, so tests can make messages the `onnx` package
/// would never write (bad varints, lying lengths, packed dims).
struct ProtobufBytes {
    var bytes: [UInt8] = []

    var data: Data { Data(bytes) }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return out + [UInt8(value)]
    }

    mutating func tag(_ field: Int, wireType: UInt64) {
        bytes += Self.varint(UInt64(field) << 3 | wireType)
    }

    mutating func varint(_ field: Int, _ value: Int64) {
        tag(field, wireType: 0)
        bytes += Self.varint(UInt64(bitPattern: value))
    }

    mutating func bytes(_ field: Int, _ payload: [UInt8]) {
        tag(field, wireType: 2)
        bytes += Self.varint(UInt64(payload.count)) + payload
    }

    mutating func string(_ field: Int, _ text: String) { bytes(field, Array(text.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtobufBytes) -> Void) {
        var inner = ProtobufBytes()
        build(&inner)
        bytes(field, inner.bytes)
    }

    mutating func packedVarints(_ field: Int, _ values: [Int64]) {
        bytes(field, values.flatMap { Self.varint(UInt64(bitPattern: $0)) })
    }

    mutating func floatsRaw(_ field: Int, _ values: [Float]) {
        bytes(field, values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    }

    /// A ModelProto holding one graph with the given initializer (TensorProto) built by `tensor`.
    static func model(withInitializer tensor: (inout ProtobufBytes) -> Void) -> Data {
        var model = ProtobufBytes()
        model.varint(1, 8)
        model.message(7) { graph in graph.message(5, tensor) }
        return model.data
    }
}
