import Foundation
import Testing
import Formats

/// ONNXModel on files written by the `onnx` package (Tests/Fixtures/weights/tiny_convnet*.onnx).
@Suite struct ONNXModelTests {
    @Test func readsTheTinyConvNet() throws {
        let model = try ONNXModel.read(contentsOf: Fixture.url("tiny_convnet.onnx"))
        #expect(model.irVersion == 7)
        #expect(model.producerName == "pytorch")
        #expect(model.producerVersion == "1.0")
        #expect(model.opsetImports.map(\.version) == [13])
        #expect(model.opsetImports.map(\.domain) == [""])

        let graph = model.graph
        #expect(graph.name == "tiny_convnet")
        #expect(graph.inputs == ["input"])
        #expect(graph.outputs == ["output"])
        #expect(graph.nodes.map(\.opType) == [
            "Conv", "Relu", "Identity", "Conv", "Relu", "MaxPool", "Constant", "Conv", "Relu", "Reshape",
        ])
        #expect(graph.initializers.map(\.name) == [
            "conv1_weight", "conv1_bias", "conv2_weight", "conv2_bias", "conv3_bias", "flat_shape",
        ])

        let conv1 = graph.nodes[0]
        #expect(conv1.name == "conv1_node")
        #expect(conv1.inputs == ["input", "conv1_weight", "conv1_bias"])
        #expect(conv1.outputs == ["conv1_out"])
        #expect(conv1.attribute("kernel_shape")?.ints == [3, 3])
        #expect(conv1.attribute("pads")?.ints == [1, 1, 1, 1])
        #expect(conv1.attribute("strides")?.ints == [1, 1])
        #expect(conv1.attribute("group")?.int == 1)
        #expect(conv1.attribute("kernel_shape")?.type == 7)  // INTS
        #expect(graph.nodes[5].attribute("kernel_shape")?.ints == [2, 2])
        #expect(graph.nodes[6].attribute("value")?.tensor?.dims == [8, 4, 3, 3])
    }

    @Test func decodesRawDataAndFloatData() throws {
        let graph = try ONNXModel.read(contentsOf: Fixture.url("tiny_convnet.onnx")).graph
        let weight = try #require(graph.initializer(named: "conv1_weight")).floatTensor()  // raw_data
        #expect(weight.shape == [4, 3, 3, 3])
        #expect(weight.data == patternValues(count: 108, layer: 1))
        let bias = try #require(graph.initializer(named: "conv1_bias")).floatTensor()      // float_data
        #expect(bias.data == patternValues(count: 4, layer: 11))

        let shape = try #require(graph.initializer(named: "flat_shape"))
        #expect(shape.dataType == 7)
        #expect(throws: WeightsError.self) { _ = try shape.floatTensor() }
        #expect(graph.initializer(named: "no such tensor") == nil)
    }

    @Test func externalDataIsRefusedWhenDecoded() throws {
        let graph = try ONNXModel.read(contentsOf: Fixture.url("tiny_convnet_external.onnx")).graph
        let weight = try #require(graph.initializer(named: "conv1_weight"))
        #expect(weight.hasExternalData)
        expectError("externalData", containing: "'conv1_weight': external data is not supported") {
            _ = try weight.floatTensor()
        }
    }

    @Test func truncatedFileIsAnError() throws {
        let bytes = try Fixture.bytes("tiny_convnet.onnx")
        expectError("malformedProtobuf", containing: "truncated") {
            _ = try ONNXModel(serialized: bytes.prefix(bytes.count / 2))
        }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let url = scratch.file("cut.onnx")
        try bytes.prefix(bytes.count - 100).write(to: url)
        expectError("malformedProtobuf") { _ = try ONNXModel.read(contentsOf: url) }
    }

    @Test func everyPrefixFailsOrHasTheWholeGraph() throws {
        // A prefix can end exactly between top-level fields (e.g. before opset_import), which is
        // a valid message; then the graph must be complete. Anything else must throw.
        let bytes = try Fixture.bytes("tiny_convnet.onnx")
        let fullNodeCount = try ONNXModel(serialized: bytes).graph.nodes.count
        var parsedPrefixes = 0
        for length in 0 ..< bytes.count {
            guard let model = try? ONNXModel(serialized: bytes.prefix(length)) else { continue }
            parsedPrefixes += 1
            #expect(model.graph.nodes.count == fullNodeCount, "prefix of \(length) bytes")
        }
        #expect(parsedPrefixes <= 4)
    }

    @Test func corruptedBytesNeverCrash() throws {
        let bytes = try Fixture.bytes("tiny_convnet.onnx")
        var failures = 0
        for position in stride(from: 0, to: bytes.count, by: 5) {
            for value: UInt8 in [0x00, 0x7F, 0xFF] {
                var corrupted = bytes
                corrupted[position] = value
                // Either outcome is fine; reaching the next iteration is the test.
                if let model = try? ONNXModel(serialized: corrupted) {
                    for tensor in model.graph.initializers { _ = try? tensor.floatTensor() }
                } else {
                    failures += 1
                }
            }
        }
        #expect(failures > 0)
    }
}
