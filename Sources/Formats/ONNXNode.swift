import Foundation

/// An ONNX `NodeProto`: one operator application in the graph.
///
/// Inputs and outputs are value names; an input that names an initializer is a weight. An empty
/// input name means an omitted optional input (e.g. a Conv without bias).
public struct ONNXNode: Sendable {
    public var name = ""
    public var opType = ""
    /// Operator set domain; "" (or "ai.onnx") is the standard one.
    public var domain = ""
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var attributes: [ONNXAttribute] = []

    public func attribute(_ name: String) -> ONNXAttribute? {
        attributes.first { $0.name == name }
    }

    init(reading reader: inout ProtobufReader) throws {
        let message = "NodeProto"
        while let field = try reader.nextField() {
            switch field.number {
            case 1: inputs.append(try reader.readString(field, in: message))
            case 2: outputs.append(try reader.readString(field, in: message))
            case 3: name = try reader.readString(field, in: message)
            case 4: opType = try reader.readString(field, in: message)
            case 5:
                var attribute = try reader.readMessage(field, in: message)
                attributes.append(try ONNXAttribute(reading: &attribute))
            case 7: domain = try reader.readString(field, in: message)
            default: try reader.skip(field.wireType)
            }
        }
    }
}

/// An ONNX `AttributeProto`: a named operator parameter such as Conv's `kernel_shape`.
///
/// Only the scalar, list and tensor forms are read; subgraphs (If/Loop bodies) are skipped, which
/// is enough for the convolution and pooling attributes the importer checks.
public struct ONNXAttribute: Sendable {
    public var name = ""
    /// `AttributeProto.AttributeType` (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, …).
    public var type: Int64 = 0
    public var int: Int64?
    public var float: Float?
    /// The `s` field; ONNX strings are bytes, usually UTF-8 (e.g. auto_pad = "SAME_UPPER").
    public var string: String?
    public var ints: [Int64] = []
    public var floats: [Float] = []
    /// The `t` field, as used by `Constant` nodes' `value`.
    public var tensor: ONNXTensor?

    init(reading reader: inout ProtobufReader) throws {
        let message = "AttributeProto"
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try reader.readString(field, in: message)
            case 2: float = try reader.readFloat(field, in: message)
            case 3: int = try reader.readInt64(field, in: message)
            case 4: string = try reader.readString(field, in: message)
            case 5:
                var tensorReader = try reader.readMessage(field, in: message)
                tensor = try ONNXTensor(reading: &tensorReader)
            case 7: try reader.appendFloats(field, to: &floats, in: message)
            case 8: try reader.appendInt64s(field, to: &ints, in: message)
            case 20: type = try reader.readInt64(field, in: message)
            default: try reader.skip(field.wireType)
            }
        }
    }
}
