/// One convolution layer as a weight file must hold it: square kernel, OIHW weight, bias.
public struct ConvLayerSpec: Sendable, Equatable {
    /// Name used in the weight file, e.g. "conv3_2" → `conv3_2.weight`, `conv3_2.bias`.
    public var name: String
    public var inputChannels: Int
    public var outputChannels: Int
    public var kernelSize: Int
    public var stride: Int
    public var padding: Int

    public init(name: String, inputChannels: Int, outputChannels: Int,
                kernelSize: Int = 3, stride: Int = 1, padding: Int = 1) {
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }

    /// OIHW: [out, in, kh, kw], the layout ONNX Conv and our im2col both use.
    public var weightShape: [Int] { [outputChannels, inputChannels, kernelSize, kernelSize] }
    public var biasShape: [Int] { [outputChannels] }
    public var weightName: String { name + ".weight" }
    public var biasName: String { name + ".bias" }
}

/// The ordered convolution layers of a network, as the importer expects to find them.
///
/// The importer is written against this description rather than VGG16 itself so that its graph
/// walking can be tested on a three-layer network small enough to ship as a fixture.
public struct ConvNetLayout: Sendable, Equatable {
    /// Short architecture name, written to the file metadata (e.g. "vgg16").
    public var name: String
    public var layers: [ConvLayerSpec]

    public init(name: String, layers: [ConvLayerSpec]) {
        self.name = name
        self.layers = layers
    }

    /// Weights plus biases over all layers.
    public var parameterCount: Int {
        layers.reduce(0) { $0 + $1.weightShape.reduce(1, *) + $1.outputChannels }
    }

    /// VGG16's 13 conv layers (Simonyan & Zisserman 2015, configuration D): 3×3, stride 1,
    /// pad 1, five blocks of 64, 128, 256, 512, 512 channels; 14,714,688 parameters.
    public static let vgg16 = ConvNetLayout(name: "vgg16", layers: {
        let blocks: [(channels: Int, convs: Int)] = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
        var layers: [ConvLayerSpec] = []
        var inputChannels = 3
        for (blockIndex, block) in blocks.enumerated() {
            for convIndex in 0 ..< block.convs {
                layers.append(ConvLayerSpec(name: "conv\(blockIndex + 1)_\(convIndex + 1)",
                                            inputChannels: inputChannels, outputChannels: block.channels))
                inputChannels = block.channels
            }
        }
        return layers
    }())
}
