import Formats

/// Everything the encoder assumes about VGG16 beyond the weight shapes (which the importer
/// checks against `ConvNetLayout.vgg16`): where the pools go, the input size, and each
/// weight convention's preprocessing. Weight files are checked against this when they load.
public enum VGG16Layout {
    /// The 13 conv layers in order (Simonyan & Zisserman 2015, configuration D).
    public static let convLayers: [ConvLayerSpec] = ConvNetLayout.vgg16.layers

    /// A 2×2 max pool follows the last conv of each of the five blocks.
    public static let poolAfter: Set<String> = ["conv1_2", "conv2_2", "conv3_3", "conv4_3", "conv5_3"]

    /// Channels of conv5_3, pool5 and the image vector.
    public static let featureChannels = 512

    /// The encoder's input side: the whole photo is resized to this square with no crop,
    /// as the Flickr8k training images were.
    public static let inputSize = 224

    /// Keras "caffe" mode (the pinned ImageNet weights): BGR order, 0…255 minus the ImageNet
    /// channel means, no scaling.
    public static let caffeMeanBGR: SIMD3<Float> = [103.939, 116.779, 123.68]

    /// torchvision mode: RGB order, scaled to 0…1, then (x − mean) / std.
    public static let torchMeanRGB: SIMD3<Float> = [0.485, 0.456, 0.406]
    public static let torchStdRGB: SIMD3<Float> = [0.229, 0.224, 0.225]

    /// Multiply-adds for one image of `size`×`size`, for GFLOP/s figures (×2 for FLOPs).
    public static func multiplyAdds(size: Int) -> Int {
        var side = size, total = 0
        for layer in convLayers {
            total += side * side * 9 * layer.inputChannels * layer.outputChannels
            if poolAfter.contains(layer.name) { side /= 2 }
        }
        return total
    }
}
