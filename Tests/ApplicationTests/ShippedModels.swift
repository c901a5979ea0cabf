import Application
import Encoder
import Foundation
import ImageDecoding

/// The shipped captioner and aligner (in git) and the VGG16 weights scripts/setup imports,
/// loaded once for all the application tests.
enum ShippedModels {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The pipeline as `caption IMAGE` builds it with `policy`.
    static func pipeline(_ policy: DecodingPolicy = DecodingPolicy(), confidence: Bool = true) throws -> CaptionPipeline {
        var reranked = try CaptionPipeline(captioner: captioner, encoder: encoder, aligner: aligner, policy: policy,
                                           reranks: policy.reranks(shippedCaptioner: true, alignerShipped: true))
        if !confidence { reranked = try CaptionPipeline(captioner: captioner, encoder: encoder, aligner: nil, policy: policy, reranks: false) }
        return reranked
    }

    nonisolated(unsafe) static let captioner = try! ModelFiles.captioner(nil)
    nonisolated(unsafe) static let aligner = try! ModelFiles.aligner(nil)
    nonisolated(unsafe) static let encoder = try! ModelFiles.encoder(nil)

    /// The example photos' encoder features, in `examples/` order.
    nonisolated(unsafe) static let photos: [(name: String, features: EncoderFeatures)] = {
        ["astronaut", "chelsea", "coffee", "rocket"].map { name in
            let path = repository.appendingPathComponent("examples/\(name).jpg")
            let image = try! ImageDecoder.decode(contentsOf: path)
            return ("examples/\(name).jpg", encoder.encode(image).features)
        }
    }()
}
