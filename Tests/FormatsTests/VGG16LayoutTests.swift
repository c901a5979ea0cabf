import Foundation
import Testing
import Formats
import Encoder

@Suite struct VGG16LayoutTests {
    @Test func hasThirteenLayersInVGG16Order() {
        let layers = ConvNetLayout.vgg16.layers
        #expect(layers.map(\.name) == [
            "conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
            "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3",
        ])
        #expect(layers.map(\.inputChannels) == [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512])
        #expect(layers.map(\.outputChannels) == [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512])
        #expect(layers.allSatisfy { $0.kernelSize == 3 && $0.stride == 1 && $0.padding == 1 })
        #expect(layers[0].weightShape == [64, 3, 3, 3])
        #expect(layers[12].weightName == "conv5_3.weight")
        #expect(layers[12].biasName == "conv5_3.bias")
    }

    @Test func parameterCountMatchesKeras() {
        // keras.applications.VGG16(include_top=False).count_params()
        #expect(ConvNetLayout.vgg16.parameterCount == 14_714_688)
    }

    /// The real Keras VGG16 (tf2onnx) file, when setup has downloaded it; skipped otherwise.
    static let realModel = Fixture.repositoryRoot.appendingPathComponent(".cache/vgg16.onnx")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: realModel.path)))
    func importsTheRealKerasVGG16() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let report = try importVGG16(onnx: Self.realModel, to: scratch.file("vgg16.safetensors"))
        let file = try SafeTensorsFile.read(contentsOf: report.output)
        #expect(file.tensors.count == 26)
        #expect(file.metadata["input_channel_order"] == "BGR")
        #expect(report.manifest.layers.first?.weightSource == "functional_1/block1_conv1_1/convolution/ReadVariableOp:0")
        // Values printed by onnx.numpy_helper from the same file.
        let weight = try file.tensor("conv1_1.weight", shape: [64, 3, 3, 3])
        #expect(Array(weight.data.prefix(3)) == [0.42947056889533997, 0.37346699833869934, -0.06136011332273483])
        let bias = try file.tensor("conv1_1.bias", shape: [64])
        #expect(Array(bias.data.prefix(2)) == [0.7342983484268188, 0.09340367466211319])
        #expect(try file.tensor("conv5_3.bias", shape: [512]).data[511] == -0.026539654)
    }
}
