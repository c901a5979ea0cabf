import Alignment
import Encoder
import Foundation
import ImageDecoding
import Tensors
import Support

/// The aligner's region vectors v `[50, h]` of photos named by path: each photo is decoded and
/// encoded once, and kept in a bounded LRU (`capacity` photos, 100 KB each at h = 512), so a
/// pairs file that names a photo on many lines encodes it once and memory stays flat however
/// long the file. A photo that failed is remembered too, so a bad path repeated is not re-read.
public final class RegionEmbeddingCache {
    public let model: AlignmentModel
    public let encoder: VGGEncoder
    public let maxPixels: Int
    private var cache: LRUCache<String, Result<Tensor, ImageDecodingError>>

    public init(model: AlignmentModel, encoder: VGGEncoder, maxPixels: Int, capacity: Int = 256) {
        self.model = model
        self.encoder = encoder
        self.maxPixels = maxPixels
        cache = LRUCache(capacity: capacity)
    }

    /// v for the photo at `path`, or why it could not be read.
    public func embeddings(for path: String) -> Result<Tensor, ImageDecodingError> {
        if let known = cache.value(for: path) { return known }
        let result: Result<Tensor, ImageDecodingError>
        do {
            let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path), maxPixels: maxPixels)
            result = .success(model.embedRegions(model.regions(of: encoder.encode(image).features)!))
        } catch {
            result = .failure(error)
        }
        cache.insert(result, for: path)
        return result
    }
}
