import ImageDecoding
import Tensors
import Formats

/// Turns a decoded photo into the encoder's input: resized to 224 × 224 (no crop), then
/// normalized as the weights were trained (`InputConvention`), as `[224, 224, 3]` HWC floats.
public enum Preprocess {
    public static func tensor(from image: Image, convention: InputConvention = .keras,
                              size: Int = VGG16Layout.inputSize) -> Tensor {
        let resized = (image.width == size && image.height == size) ? image : image.resized(width: size, height: size)
        // value = (pixel − shift) · scale per channel, in the weights' channel order.
        let shift: SIMD3<Float>, scale: SIMD3<Float>
        switch convention.preprocessing {
        case "torch":
            shift = VGG16Layout.torchMeanRGB * 255
            scale = 1 / (VGG16Layout.torchStdRGB * 255)
        default:
            shift = VGG16Layout.caffeMeanBGR
            scale = SIMD3(repeating: 1)
        }
        let bgr = convention.channelOrder == .bgr
        var data = [Float](repeating: 0, count: size * size * 3)
        resized.pixels.withUnsafeBufferPointer { rgb in
            for p in 0..<(size * size) {
                let r = Float(rgb[3 * p]), g = Float(rgb[3 * p + 1]), b = Float(rgb[3 * p + 2])
                let ordered = ((bgr ? SIMD3(b, g, r) : SIMD3(r, g, b)) - shift) * scale
                data[3 * p] = ordered[0]
                data[3 * p + 1] = ordered[1]
                data[3 * p + 2] = ordered[2]
            }
        }
        return Tensor(shape: [size, size, 3], data: data)
    }
}
