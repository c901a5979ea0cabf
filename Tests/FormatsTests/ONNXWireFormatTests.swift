import Foundation
import Testing
import Formats

/// The protobuf reader under ONNXModel, on hand-built messages.
@Suite struct ONNXWireFormatTests {
    func parse(_ data: Data) throws -> ONNXModel { try ONNXModel(serialized: data) }

    @Test func readsPackedAndUnpackedDimsAndFloatData() throws {
        let model = try parse(ProtobufBytes.model { tensor in
            tensor.string(8, "packed")
            tensor.packedVarints(1, [2, 3])
            tensor.varint(2, 1)
            tensor.floatsRaw(4, [1, 2, 3, 4, 5, 6])
        })
        let packed = try #require(model.graph.initializer(named: "packed"))
        #expect(packed.dims == [2, 3])
        #expect(try packed.floatTensor().data == [1, 2, 3, 4, 5, 6])

        let unpacked = try parse(ProtobufBytes.model { tensor in
            tensor.varint(1, 3)
            tensor.varint(1, 1)
            tensor.varint(2, 1)
            tensor.string(8, "unpacked")
            tensor.tag(4, wireType: 5)  // one float_data value, not packed
            tensor.bytes += withUnsafeBytes(of: Float(0.5).bitPattern.littleEndian, Array.init)
            tensor.floatsRaw(4, [1.5, 2.5])  // a second, packed run appends
            tensor.varint(99, 7)  // unknown field: skipped
        }).graph.initializer(named: "unpacked")
        #expect(unpacked?.dims == [3, 1])
        #expect(try unpacked?.floatTensor().data == [0.5, 1.5, 2.5])
    }

    @Test func skipsUnknownFieldsOfEveryWireType() throws {
        var model = ProtobufBytes()
        model.varint(50, -1)                                  // varint (10 bytes)
        model.tag(51, wireType: 1); model.bytes += [UInt8](repeating: 7, count: 8)   // fixed64
        model.tag(52, wireType: 5); model.bytes += [1, 2, 3, 4]                      // fixed32
        model.string(53, "ignored")                           // length-delimited
        model.string(2, "handmade")
        model.message(7) { graph in graph.string(2, "g") }
        let parsed = try parse(model.data)
        #expect(parsed.producerName == "handmade")
        #expect(parsed.graph.name == "g")
    }

    @Test func varintLongerThan64Bits() {
        var model = ProtobufBytes()
        model.tag(1, wireType: 0)
        model.bytes += [UInt8](repeating: 0xFF, count: 10) + [0x01]
        expectError("malformedProtobuf", containing: "longer than 64 bits") { _ = try parse(model.data) }
    }

    @Test func varintCutOff() {
        expectError("malformedProtobuf", containing: "runs past the end") { _ = try parse(Data([0x08, 0x80])) }
    }

    @Test func lengthBeyondTheMessage() {
        var model = ProtobufBytes()
        model.tag(7, wireType: 2)
        model.bytes += ProtobufBytes.varint(1_000_000) + [0, 0, 0]
        expectError("malformedProtobuf", containing: "declares 1000000 bytes but only 3 remain") { _ = try parse(model.data) }
        var huge = ProtobufBytes()
        huge.tag(7, wireType: 2)
        huge.bytes += ProtobufBytes.varint(UInt64.max)
        expectError("malformedProtobuf", containing: "declares") { _ = try parse(huge.data) }
    }

    @Test func nestedLengthBeyondItsParent() {
        // The graph is complete, but a node inside it claims more bytes than the graph has.
        var model = ProtobufBytes()
        model.message(7) { graph in
            graph.tag(1, wireType: 2)
            graph.bytes += ProtobufBytes.varint(50) + [0x1A, 0x01]
        }
        model.string(2, "padding so the file itself is long enough: .........................................")
        expectError("malformedProtobuf", containing: "declares 50 bytes") { _ = try parse(model.data) }
    }

    @Test func badTagsAndWireTypes() {
        expectError("malformedProtobuf", containing: "invalid wire type 7") { _ = try parse(Data([0x0F, 0x00])) }
        expectError("malformedProtobuf", containing: "invalid field number 0") { _ = try parse(Data([0x00, 0x00])) }
        // Unknown field 60 with each wire type: group (refused), fixed32 and fixed64 cut short.
        expectError("malformedProtobuf", containing: "group") { _ = try parse(Data([0xE3, 0x03])) }
        expectError("malformedProtobuf", containing: "fixed32 value") { _ = try parse(Data([0xE5, 0x03, 0x01, 0x02])) }
        expectError("malformedProtobuf", containing: "fixed64 value") { _ = try parse(Data([0xE1, 0x03, 0x01])) }
        // A known field with the wrong wire type is an error, not skipped.
        expectError("malformedProtobuf", containing: "ModelProto field 1 has wire type fixed32") {
            _ = try parse(Data([0x0D, 0x01, 0x02, 0x03, 0x04]))
        }
        // graph (field 7) must be length-delimited
        expectError("malformedProtobuf", containing: "ModelProto field 7 has wire type varint") { _ = try parse(Data([0x38, 0x01])) }
    }

    @Test func modelWithoutGraph() {
        expectError("invalidONNX", containing: "no graph") { _ = try parse(Data()) }
        var model = ProtobufBytes()
        model.string(2, "no graph here")
        expectError("invalidONNX", containing: "no graph") { _ = try parse(model.data) }
    }

    @Test func tensorDecodingErrors() throws {
        let negative = ProtobufBytes.model { tensor in tensor.varint(1, -3) }
        expectError("invalidONNX", containing: "negative dimension -3") { _ = try parse(negative) }

        let short = try parse(ProtobufBytes.model { tensor in
            tensor.string(8, "short"); tensor.packedVarints(1, [4]); tensor.varint(2, 1); tensor.floatsRaw(9, [1, 2])
        })
        expectError("invalidONNX", containing: "raw_data has 8 bytes, dims [4] need 4 floats") {
            _ = try short.graph.initializer(named: "short")?.floatTensor()
        }

        let integers = try parse(ProtobufBytes.model { tensor in
            tensor.string(8, "ints"); tensor.packedVarints(1, [2]); tensor.varint(2, 7); tensor.packedVarints(7, [1, 2])
        })
        #expect(integers.graph.initializer(named: "ints")?.dataTypeName == "INT64")
        expectError("invalidONNX", containing: "data type INT64, expected FLOAT") {
            _ = try integers.graph.initializer(named: "ints")?.floatTensor()
        }

        let missing = try parse(ProtobufBytes.model { tensor in
            tensor.string(8, "empty"); tensor.packedVarints(1, [3]); tensor.varint(2, 1)
        })
        expectError("invalidONNX", containing: "float_data has 0 values, dims [3] need 3") {
            _ = try missing.graph.initializer(named: "empty")?.floatTensor()
        }

        let external = try parse(ProtobufBytes.model { tensor in
            tensor.string(8, "far"); tensor.packedVarints(1, [1]); tensor.varint(2, 1); tensor.varint(14, 1)
        })
        expectError("externalData", containing: "external data is not supported") {
            _ = try external.graph.initializer(named: "far")?.floatTensor()
        }
    }
}
