import Foundation
import Tensors
import Testing
import Formats
import Encoder
import Support

/// The importer's graph walking on the 3-conv fixtures, with a layout to match them.
@Suite struct ONNXConvImporterTests {
    let tinyLayout = ConvNetLayout(name: "tiny", layers: [
        ConvLayerSpec(name: "conv1", inputChannels: 3, outputChannels: 4),
        ConvLayerSpec(name: "conv2", inputChannels: 4, outputChannels: 4),
        ConvLayerSpec(name: "conv3", inputChannels: 4, outputChannels: 8),
    ])

    func importFixture(_ name: String, layout: ConvNetLayout? = nil, into scratch: ScratchDirectory) throws -> ImportReport {
        try ONNXConvImporter(layout: layout ?? tinyLayout)
            .importWeights(onnx: Fixture.url(name), to: scratch.file("out/tiny.safetensors"))
    }

    @Test func importsWeightsFollowingIdentityAndConstantNodes() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let report = try importFixture("tiny_convnet.onnx", into: scratch)
        #expect(report.output == scratch.file("out/tiny.safetensors"))
        #expect(report.manifestURL == scratch.file("out/tiny.manifest.json"))

        let file = try SafeTensorsFile.read(contentsOf: report.output)
        #expect(file.tensors.keys.sorted() == [
            "conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "conv3.bias", "conv3.weight",
        ])
        for (index, spec) in tinyLayout.layers.enumerated() {
            let weight = try file.tensor(spec.weightName, shape: spec.weightShape)
            let bias = try file.tensor(spec.biasName, shape: [spec.outputChannels])
            #expect(weight.data == patternValues(count: weight.count, layer: index + 1), "\(spec.name)")
            #expect(bias.data == patternValues(count: bias.count, layer: index + 11), "\(spec.name)")
        }
        let sourceSHA256 = try SHA256.hexDigest(ofFileAt: Fixture.url("tiny_convnet.onnx"))
        #expect(file.metadata == [
            "architecture": "tiny",
            "source": "tiny_convnet.onnx",
            "source_sha256": sourceSHA256,
            "producer": "pytorch 1.0",
            "layout": "OIHW",
            "input_channel_order": "RGB",
            "preprocessing": "torch",
        ])

        let manifest = try ImportManifest.read(contentsOf: report.manifestURL)
        #expect(manifest == report.manifest)
        #expect(manifest.sourceSHA256 == sourceSHA256)
        #expect(manifest.outputSHA256 == (try SHA256.hexDigest(ofFileAt: report.output)))
        #expect(manifest.output == "tiny.safetensors")
        #expect(manifest.source == Fixture.url("tiny_convnet.onnx").path)
        #expect(manifest.parameterCount == 4 * 27 + 4 + 4 * 36 + 4 + 8 * 36 + 8)
        #expect(manifest.layers.map(\.weightSource) == ["conv1_weight", "conv2_weight", "conv3_weight_const"])
        #expect(manifest.layers.map(\.onnxNode) == ["conv1_node", "conv2_node", "conv3_node"])
        #expect(manifest.layers.map(\.weightShape) == [[4, 3, 3, 3], [4, 4, 3, 3], [8, 4, 3, 3]])
        #expect(manifest.importedAt.hasSuffix("Z"))
        #expect(report.summary.contains("imported 3 conv layers"))

        let json = try String(contentsOf: report.manifestURL, encoding: .utf8)
        #expect(json.contains("\"input_channel_order\" : \"RGB\""))
        #expect(json.contains("\"output_sha256\" : \"\(manifest.outputSHA256)\""))
        #expect(Set(scratch.contents) == ["out"])
    }

    @Test func kerasExportsExpectBGR() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let report = try importFixture("tiny_convnet_tf2onnx.onnx", into: scratch)
        #expect(report.manifest.inputChannelOrder == "BGR")
        #expect(report.manifest.preprocessing == "caffe")
        let file = try SafeTensorsFile.read(contentsOf: report.output)
        #expect(file.metadata["input_channel_order"] == "BGR")
        #expect(file.metadata["producer"] == "tf2onnx 1.0")
        #expect(try file.tensor("conv3.weight", shape: [8, 4, 3, 3]).data == patternValues(count: 288, layer: 3))
    }

    @Test func inputConventionFollowsTheProducer() {
        #expect(InputConvention.forProducer("tf2onnx") == .keras)
        #expect(InputConvention.forProducer("keras2onnx") == .keras)
        #expect(InputConvention.forProducer("pytorch") == .torch)
        #expect(InputConvention.forProducer("") == .torch)
    }

    @Test func tooFewConvs() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let error = expectError("layoutMismatch", containing: "conv3: not found: the graph has 2 Conv nodes, tiny has 3") {
            _ = try importFixture("tiny_convnet_two_convs.onnx", into: scratch)
        }
        #expect(error?.description.hasPrefix("layer conv3") == true)
        #expect(scratch.contents.isEmpty, "nothing is written when the import fails")
    }

    @Test func tooManyConvs() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let twoLayers = ConvNetLayout(name: "two", layers: Array(tinyLayout.layers.prefix(2)))
        expectError("layoutMismatch", containing: "followed by 1 more Conv node(s) (first: 'conv3_node')") {
            _ = try importFixture("tiny_convnet.onnx", layout: twoLayers, into: scratch)
        }
        expectError("layoutMismatch", containing: "conv2_2: not found: the graph has 3 Conv nodes, vgg16 has 13") {
            _ = try importFixture("tiny_convnet.onnx", layout: .vgg16, into: scratch)
        }
    }

    @Test func wrongShapeNamesTheLayer() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        expectError("layoutMismatch",
                    containing: "layer conv2: weight 'conv2_weight' has shape [4, 3, 3, 3], expected [4, 4, 3, 3] (OIHW)") {
            _ = try importFixture("tiny_convnet_wrong_shape.onnx", into: scratch)
        }
        #expect(scratch.contents.isEmpty)
    }

    @Test func wrongStride() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        expectError("layoutMismatch", containing: "layer conv2: Conv node 'conv2_node': strides [2, 2], expected [1, 1]") {
            _ = try importFixture("tiny_convnet_stride2.onnx", into: scratch)
        }
    }

    @Test func externalWeights() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        expectError("externalData", containing: "conv1_weight") {
            _ = try importFixture("tiny_convnet_external.onnx", into: scratch)
        }
    }

    @Test func missingSourceFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        expectError("unreadable", containing: "no such file") {
            _ = try importVGG16(onnx: scratch.file("absent.onnx"), to: scratch.file("vgg16.safetensors"))
        }
    }

    @Test func manifestSitsBesideTheOutput() {
        let url = URL(fileURLWithPath: "/tmp/weights/vgg16.safetensors")
        #expect(ONNXConvImporter.manifestURL(for: url).path == "/tmp/weights/vgg16.manifest.json")
    }
}
