import ArgumentParser
import Captioning
import Encoder
import Foundation
import ImageDecoding
import Tensors

/// What captioning a photo needs, loaded once: the captioner, its image-feature recipe and the
/// VGG16 encoder. Shared by `caption IMAGE…` and the benchmarks, so they measure the same path.
struct CaptionPipeline {
    let captioner: CaptionModelFile
    let features: ImageFeatureSpec
    let encoder: VGGEncoder

    /// Loads both models; a text-only language model is refused with one clear line.
    init(model: String?, imageOptions: ImageOptions) throws {
        captioner = try CaptionerLoader.load(model)
        guard let features = captioner.features else {
            reportError(model ?? "model", "a text-only language model cannot caption images; use `caption sample`")
            throw ExitCode(1)
        }
        self.features = features
        encoder = try EncoderLoader.load(imageOptions.weights)
    }

    /// The captioner's input for a photo: encoder, pool5, pooled and standardized.
    func feature(for image: Image) -> Tensor {
        feature(from: encoder.encode(image))
    }

    func feature(from output: EncoderOutput) -> Tensor {
        Tensor(shape: [features.size], data: features.vector(pool5: output.pool5))
    }
}
