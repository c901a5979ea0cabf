import Foundation
import Support

/// An ONNX model file (`ModelProto`), read with the project's own protobuf reader.
///
/// Holds the parts the weight importer needs: producer, opsets, and the main graph's nodes,
/// initializers, inputs and outputs. Unknown fields are skipped, so newer ONNX versions still
/// read. The file is memory-mapped and initializer values are decoded only on request.
///
/// ```swift
/// let model = try ONNXModel.read(contentsOf: url)
/// let convs = model.graph.nodes.filter { $0.opType == "Conv" }
/// let w = try model.graph.initializer(named: convs[0].inputs[1])?.floatTensor()
/// ```
public struct ONNXModel: Sendable {
    public var irVersion: Int64 = 0
    /// Tool that wrote the file, e.g. "tf2onnx" or "pytorch".
    public var producerName = ""
    public var producerVersion = ""
    public var opsetImports: [ONNXOperatorSet] = []
    public var graph = ONNXGraph()

    public static func read(contentsOf url: URL) throws -> ONNXModel {
        try ONNXModel(serialized: MappedFile.read(url))
    }

    /// Parses a serialized `ModelProto`; a model without a graph is an error.
    public init(serialized bytes: Data) throws {
        var reader = ProtobufReader(bytes)
        let message = "ModelProto"
        var sawGraph = false
        while let field = try reader.nextField() {
            switch field.number {
            case 1: irVersion = try reader.readInt64(field, in: message)
            case 2: producerName = try reader.readString(field, in: message)
            case 3: producerVersion = try reader.readString(field, in: message)
            case 7:
                var graphReader = try reader.readMessage(field, in: message)
                graph = try ONNXGraph(reading: &graphReader)
                sawGraph = true
            case 8:
                var opsetReader = try reader.readMessage(field, in: message)
                opsetImports.append(try ONNXOperatorSet(reading: &opsetReader))
            default: try reader.skip(field.wireType)
            }
        }
        guard sawGraph else { throw WeightsError.invalidONNX("the file has no graph (is it an ONNX model?)") }
    }
}

/// An ONNX `GraphProto`: nodes in topological order plus the constant initializers.
public struct ONNXGraph: Sendable {
    public var name = ""
    /// In file order, which ONNX requires to be a topological order.
    public var nodes: [ONNXNode] = []
    // Read-only outside the module: `initializerIndex` must stay in step with it.
    public internal(set) var initializers: [ONNXTensor] = []
    public var inputs: [String] = []
    public var outputs: [String] = []
    private var initializerIndex: [String: Int] = [:]

    init() {}

    public func initializer(named name: String) -> ONNXTensor? {
        initializerIndex[name].map { initializers[$0] }
    }

    init(reading reader: inout ProtobufReader) throws {
        let message = "GraphProto"
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                var nodeReader = try reader.readMessage(field, in: message)
                nodes.append(try ONNXNode(reading: &nodeReader))
            case 2: name = try reader.readString(field, in: message)
            case 5:
                var tensorReader = try reader.readMessage(field, in: message)
                let tensor = try ONNXTensor(reading: &tensorReader)
                initializerIndex[tensor.name] = initializers.count
                initializers.append(tensor)
            case 11: inputs.append(try Self.valueInfoName(&reader, field))
            case 12: outputs.append(try Self.valueInfoName(&reader, field))
            default: try reader.skip(field.wireType)
            }
        }
    }

    /// The name (field 1) of a `ValueInfoProto`; its type information is not needed here.
    private static func valueInfoName(_ reader: inout ProtobufReader, _ field: ProtobufReader.Field) throws -> String {
        var info = try reader.readMessage(field, in: "GraphProto")
        var name = ""
        while let infoField = try info.nextField() {
            if infoField.number == 1 {
                name = try info.readString(infoField, in: "ValueInfoProto")
            } else {
                try info.skip(infoField.wireType)
            }
        }
        return name
    }
}

/// An `OperatorSetIdProto`: which version of an operator domain the model uses.
public struct ONNXOperatorSet: Sendable, Equatable {
    public var domain = ""
    public var version: Int64 = 0

    init(reading reader: inout ProtobufReader) throws {
        while let field = try reader.nextField() {
            switch field.number {
            case 1: domain = try reader.readString(field, in: "OperatorSetIdProto")
            case 2: version = try reader.readInt64(field, in: "OperatorSetIdProto")
            default: try reader.skip(field.wireType)
            }
        }
    }
}
