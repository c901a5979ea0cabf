import Foundation

/// A cursor over protobuf wire-format bytes (https://protobuf.dev/programming-guides/encoding/).
///
/// Only what ONNX needs: read a field's tag, then its value as a varint, fixed32, fixed64 or
/// length-delimited slice, or skip it. Every length is checked against the bytes left in the
/// current message before it is used, so a malformed or truncated file is an error, never an
/// out-of-bounds read. Length-delimited values are `Data` slices that share the file's storage:
/// a 60 MB `raw_data` field costs no copy until it is decoded.
struct ProtobufReader {
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    struct Field {
        var number: Int
        var wireType: WireType
    }

    private let bytes: Data
    private var position: Data.Index

    init(_ bytes: Data) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var isAtEnd: Bool { position >= bytes.endIndex }
    private var remaining: Int { bytes.endIndex - position }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws -> Field? {
        guard !isAtEnd else { return nil }
        let start = position
        let tag = try readVarint()
        let number = tag >> 3
        guard number > 0, number <= 536_870_911 else {
            throw WeightsError.malformedProtobuf("invalid field number \(number) at byte \(start)")
        }
        guard let wireType = WireType(rawValue: tag & 7) else {
            throw WeightsError.malformedProtobuf("invalid wire type \(tag & 7) at byte \(start)")
        }
        return Field(number: Int(number), wireType: wireType)
    }

    mutating func readVarint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < bytes.endIndex else {
                throw WeightsError.malformedProtobuf("varint at byte \(start) runs past the end of its message")
            }
            let byte = bytes[position]
            position += 1
            // The 10th byte may only contribute the top bit of a 64-bit value.
            if shift == 63, byte > 1 {
                throw WeightsError.malformedProtobuf("varint at byte \(start) is longer than 64 bits")
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func readFixed32() throws -> UInt32 {
        let slice = try take(4, what: "fixed32 value")
        return slice.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }

    mutating func readFixed64() throws -> UInt64 {
        let slice = try take(8, what: "fixed64 value")
        return slice.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    /// The payload of a length-delimited field (bytes, string, sub-message or packed values).
    mutating func readLengthDelimited() throws -> Data {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(remaining) else {
            throw WeightsError.malformedProtobuf(
                "field at byte \(start) declares \(length) bytes but only \(remaining) remain (is the file truncated?)")
        }
        return try take(Int(length), what: "length-delimited value")
    }

    /// Skips a field this reader does not use; groups (deprecated, unused by ONNX) are refused.
    mutating func skip(_ wireType: WireType) throws {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try take(8, what: "fixed64 value")
        case .fixed32: _ = try take(4, what: "fixed32 value")
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup:
            throw WeightsError.malformedProtobuf("group fields are not supported (byte \(position))")
        }
    }

    private mutating func take(_ count: Int, what: String) throws -> Data {
        guard count <= remaining else {
            throw WeightsError.malformedProtobuf(
                "\(what) at byte \(position) needs \(count) bytes but only \(remaining) remain")
        }
        let slice = bytes[position ..< position + count]
        position += count
        return slice
    }
}

/// Typed reads for the field kinds ONNX uses, each checking the wire type it expects.
extension ProtobufReader {
    mutating func readString(_ field: Field, in message: String) throws -> String {
        try expect(.lengthDelimited, field, in: message)
        // proto2 does not require valid UTF-8; names are only compared and printed, so repair.
        return String(decoding: try readLengthDelimited(), as: UTF8.self)
    }

    mutating func readBytes(_ field: Field, in message: String) throws -> Data {
        try expect(.lengthDelimited, field, in: message)
        return try readLengthDelimited()
    }

    mutating func readMessage(_ field: Field, in message: String) throws -> ProtobufReader {
        try expect(.lengthDelimited, field, in: message)
        return ProtobufReader(try readLengthDelimited())
    }

    /// An int64 field: a varint holding the two's-complement value.
    mutating func readInt64(_ field: Field, in message: String) throws -> Int64 {
        try expect(.varint, field, in: message)
        return Int64(bitPattern: try readVarint())
    }

    mutating func readFloat(_ field: Field, in message: String) throws -> Float {
        try expect(.fixed32, field, in: message)
        return Float(bitPattern: try readFixed32())
    }

    /// A repeated int64 field, packed (one length-delimited run) or not (one varint per field).
    mutating func appendInt64s(_ field: Field, to values: inout [Int64], in message: String) throws {
        switch field.wireType {
        case .varint:
            values.append(Int64(bitPattern: try readVarint()))
        case .lengthDelimited:
            var packed = ProtobufReader(try readLengthDelimited())
            while !packed.isAtEnd { values.append(Int64(bitPattern: try packed.readVarint())) }
        default:
            throw mismatch(field, expected: "varint or packed", in: message)
        }
    }

    /// A repeated float field, packed or not.
    mutating func appendFloats(_ field: Field, to values: inout [Float], in message: String) throws {
        switch field.wireType {
        case .fixed32:
            values.append(Float(bitPattern: try readFixed32()))
        case .lengthDelimited:
            let packed = try readLengthDelimited()
            guard packed.count % 4 == 0 else {
                throw WeightsError.malformedProtobuf("\(message) field \(field.number): packed floats of \(packed.count) bytes")
            }
            packed.withUnsafeBytes { raw in
                for i in 0 ..< raw.count / 4 {
                    values.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                }
            }
        default:
            throw mismatch(field, expected: "fixed32 or packed", in: message)
        }
    }

    private func expect(_ wireType: WireType, _ field: Field, in message: String) throws {
        if field.wireType != wireType { throw mismatch(field, expected: "\(wireType)", in: message) }
    }

    private func mismatch(_ field: Field, expected: String, in message: String) -> WeightsError {
        .malformedProtobuf("\(message) field \(field.number) has wire type \(field.wireType), expected \(expected)")
    }
}
