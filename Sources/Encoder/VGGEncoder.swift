import Foundation
import Support
import ImageDecoding
import Tensors
import Formats

/// What the encoder gives for one image. All maps are HWC, so each spatial cell ("region") is a
/// contiguous 512-vector.
public struct EncoderOutput: Sendable {
    /// conv5_3 after ReLU, `[14, 14, 512]` at 224 × 224.
    public var conv5: Tensor
    /// pool5 = 2×2 max pool of conv5, `[7, 7, 512]`: the 49 region vectors.
    public var pool5: Tensor
    /// Mean of pool5 over its 49 cells, `[512]`: the whole-image vector.
    public var imageVector: Tensor
}

/// VGG16's 13 convolution layers on imported ImageNet weights (see `VGG16Layout`).
///
/// Shapes at 224 × 224: `[224,224,3] → conv1 → [112,112,64] → conv2 → [56,56,128] → conv3 →
/// [28,28,256] → conv4 → [14,14,512] → conv5_1..3 → conv5 [14,14,512] → pool → pool5 [7,7,512]`.
public struct VGGEncoder: Sendable {
    /// The 13 conv layers, in `VGG16Layout.convLayers` order.
    public let convs: [Conv2D]
    /// How photos are normalized for these weights (from the weight file's metadata).
    public let convention: InputConvention

    /// Builds the encoder from tensors named `conv1_1.weight` [64,3,3,3], `conv1_1.bias` [64], …
    /// (OIHW), checking every name and shape against `VGG16Layout`; each layer's kernel is
    /// prepared for `plan`'s algorithm (by default the built-in plan).
    public init(weights: [String: Tensor], convention: InputConvention = .keras, plan: ConvPlan? = nil) throws {
        let plan = plan ?? ConvPlan.builtIn(PreparedEncoderWeights.shapes)
        convs = try zip(VGG16Layout.convLayers, plan.choices).map { layer, choice in
            Conv2D(weight: try Self.tensor(weights, layer.weightName, layer.weightShape),
                   bias: try Self.tensor(weights, layer.biasName, layer.biasShape),
                   algorithm: choice.algorithm, split: choice.split)
        }
        self.convention = convention
    }

    /// Layers already built (from a prepared-kernel cache).
    init(convs: [Conv2D], convention: InputConvention) {
        self.convs = convs
        self.convention = convention
    }

    /// Loads a weight file written by `caption import-weights`; its metadata says which input
    /// convention (Keras "caffe" BGR, or torchvision RGB) the weights expect.
    ///
    /// With `preparedCache` (the default), the kernels come from `<name>.prepared.safetensors`
    /// beside the file, mapped in place, and that cache is written on first use
    /// (`PreparedEncoderWeights`); without it, they are prepared in memory from the file.
    public init(contentsOf url: URL, preparedCache: Bool = true) throws {
        if preparedCache {
            self = try PreparedEncoderWeights.load(url)
            return
        }
        let file = try SafeTensorsFile.read(contentsOf: url)
        try self.init(weights: file.tensors, convention: try InputConvention(metadata: file.metadata),
                      plan: PreparedEncoderWeights.plan(for: url))
    }

    /// The 13 layers' shapes at 224 × 224, what a `ConvPlan` for this encoder covers.
    public static var planShapes: [ConvPlan.Shape] { PreparedEncoderWeights.shapes }

    /// The plan loading `weights` uses: the one measured on this machine (`savePlan`), else the built-in.
    public static func plan(forWeights weights: URL) -> ConvPlan { PreparedEncoderWeights.plan(for: weights) }

    /// Saves a measured plan beside `weights` (`vgg16.plan.json`); the next load re-prepares
    /// the kernels for it.
    public static func savePlan(_ plan: ConvPlan, forWeights weights: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.save(Array(try encoder.encode(plan)), to: PreparedEncoderWeights.planURL(for: weights))
    }

    private static func tensor(_ weights: [String: Tensor], _ name: String, _ shape: [Int]) throws -> Tensor {
        guard let tensor = weights[name] else { throw EncoderError.missingWeight(name) }
        guard tensor.shape == shape else { throw EncoderError.wrongShape(name, expected: shape, found: tensor.shape) }
        return tensor
    }

    /// Runs the conv base on one preprocessed `[H, W, 3]` tensor (H, W ≥ 32), parallelizing each
    /// layer over `workers` threads.
    public func encode(_ input: Tensor, workers: Int = Parallel.workers) -> EncoderOutput {
        precondition(input.shape.count == 3 && input.shape[2] == 3 && input.shape[0] >= 32 && input.shape[1] >= 32,
                     "VGGEncoder expects [H ≥ 32, W ≥ 32, 3], got \(input.shape)")
        var x = input
        var conv5 = x
        for (conv, layer) in zip(convs, VGG16Layout.convLayers) {
            x = conv(x, relu: true, workers: workers)
            // A kernel mapped from the prepared cache goes back to the page cache once its layer
            // is done, so the encoder holds one layer's kernel at a time, not all 172 MB (with a
            // 120 MB plan, `caption features photo.jpg` peaked at 78 MB instead of 177 MB). The
            // next image maps the pages again from the page cache: minor faults, ~2% more than
            // `caption bench encoder` takes anyway for its fresh activations, within its noise.
            conv.kernel.releasePages()
            if layer.name == "conv5_3" { conv5 = x }
            if VGG16Layout.poolAfter.contains(layer.name) { x = Pooling.maxPool2x2(x, workers: workers) }
        }
        return EncoderOutput(conv5: conv5, pool5: x, imageVector: Pooling.meanPool(x))
    }

    /// Encodes a photo: resize to 224 × 224, the weights' normalization, conv base.
    public func encode(_ image: Image, workers: Int = Parallel.workers) -> EncoderOutput {
        encode(Preprocess.tensor(from: image, convention: convention), workers: workers)
    }

    /// Encodes several photos (see `encode(batch:)` for tensors).
    public func encode(batch images: [Image]) -> [EncoderOutput] {
        encode(batch: images.map { Preprocess.tensor(from: $0, convention: convention) })
    }

    /// Encodes several preprocessed inputs. With at least as many inputs as cores, each core runs
    /// whole images (no per-layer synchronization); otherwise each layer is split across cores.
    public func encode(batch inputs: [Tensor]) -> [EncoderOutput] {
        let workers = Parallel.workers
        guard inputs.count >= workers else { return inputs.map { encode($0, workers: workers) } }
        var outputs = [EncoderOutput?](repeating: nil, count: inputs.count)
        outputs.withUnsafeMutableBufferPointer { buffer in
            let target = UncheckedSendable(buffer)
            Parallel.forEach(inputs.count) { i in
                target.value[i] = encode(inputs[i], workers: 1)
            }
        }
        return outputs.map { $0! }
    }
}

/// Weight-file problems the encoder finds when it loads.
public enum EncoderError: Error, CustomStringConvertible {
    case missingWeight(String)
    case wrongShape(String, expected: [Int], found: [Int])
    case unknownConvention(order: String, preprocessing: String)

    public var description: String {
        switch self {
        case .missingWeight(let name):
            return "weight '\(name)' is missing (not a VGG16 weight file?)"
        case .wrongShape(let name, let expected, let found):
            return "weight '\(name)' has shape \(found), VGG16 needs \(expected)"
        case .unknownConvention(let order, let preprocessing):
            return "unknown input convention (input_channel_order \(order), preprocessing \(preprocessing)); "
                + "expected BGR/caffe or RGB/torch"
        }
    }
}
