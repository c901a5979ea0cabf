/// How the first conv layer expects its input image, which depends on who trained the weights.
///
/// The weights themselves do not say; the ONNX `producer_name` does, because each framework's
/// VGG16 ships with one preprocessing:
/// - Keras applications (exported by tf2onnx or keras2onnx) use "caffe" mode: RGB → BGR, then
///   subtract the per-channel ImageNet mean (B 103.939, G 116.779, R 123.68) on the 0…255 scale.
/// - torchvision (pytorch) and the ONNX model zoo's VGG16 (MXNet/Gluon) take RGB scaled to
///   0…1 and normalised by mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
/// The importer records both fields in the weight file's metadata so the encoder can apply
/// the matching preprocessing instead of silently swapping colour channels.
public struct InputConvention: Sendable, Equatable {
    /// Order of the colour planes in the first layer's input; the raw values go in metadata.
    public enum ChannelOrder: String, Sendable { case bgr = "BGR", rgb = "RGB" }

    public var channelOrder: ChannelOrder
    /// "caffe" or "torch", named as Keras's `preprocess_input` modes.
    public var preprocessing: String

    public init(channelOrder: ChannelOrder, preprocessing: String) {
        self.channelOrder = channelOrder
        self.preprocessing = preprocessing
    }

    public static let keras = InputConvention(channelOrder: .bgr, preprocessing: "caffe")
    public static let torch = InputConvention(channelOrder: .rgb, preprocessing: "torch")

    /// The convention implied by an ONNX file's `producer_name`.
    public static func forProducer(_ producerName: String) -> InputConvention {
        let producer = producerName.lowercased()
        return producer.contains("tf2onnx") || producer.contains("keras") ? .keras : .torch
    }

    /// The convention a weight file's metadata names (none: Keras, the pinned weights').
    public init(metadata: [String: String]) throws {
        switch (metadata["input_channel_order"], metadata["preprocessing"]) {
        case (nil, nil), ("BGR", "caffe"): self = .keras
        case ("RGB", "torch"): self = .torch
        case let (order, preprocessing):
            throw EncoderError.unknownConvention(order: order ?? "none", preprocessing: preprocessing ?? "none")
        }
    }

    /// The metadata fields that name this convention, as the importer writes them.
    public var metadata: [String: String] {
        ["input_channel_order": channelOrder.rawValue, "preprocessing": preprocessing]
    }
}
