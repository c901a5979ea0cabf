import Alignment
import Encoder
import Foundation
import ImageDecoding
import Tensors

/// The aligner's region vectors v `[50, h]` of photos named by path: each photo is decoded and
/// encoded once, and kept in a bounded LRU (`capacity` photos, 100 KB each at h = 512), so a
/// pairs file that names a photo on many lines encodes it once and memory stays flat however
/// long the file. A photo that failed is remembered too, so a bad path repeated is not re-read.
final class RegionEmbeddingCache {
    let model: AlignmentModel
    let encoder: VGGEncoder
    let maxPixels: Int
    private var cache: LRUCache<String, Result<Tensor, ImageProblem>>

    init(model: AlignmentModel, encoder: VGGEncoder, maxPixels: Int, capacity: Int = 256) {
        self.model = model
        self.encoder = encoder
        self.maxPixels = maxPixels
        cache = LRUCache(capacity: capacity)
    }

    /// v for the photo at `path`, or why it could not be read.
    func embeddings(for path: String) -> Result<Tensor, ImageProblem> {
        if let known = cache.value(for: path) { return known }
        let result: Result<Tensor, ImageProblem>
        do {
            let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path), maxPixels: maxPixels)
            result = .success(model.embedRegions(Self.regions(of: image, encoder: encoder)))
        } catch {
            result = .failure(ImageProblem(description: error.description))
        }
        cache.insert(result, for: path)
        return result
    }

    /// The 50 region features `[50, 512]` of a decoded photo.
    static func regions(of image: Image, encoder: VGGEncoder) -> Tensor {
        let output = encoder.encode(image)
        return AlignmentRegions.from(pool5: output.pool5, vector: output.imageVector)
    }
}

/// Why a photo could not be used, as the decoder put it.
struct ImageProblem: Error, CustomStringConvertible {
    let description: String
}
