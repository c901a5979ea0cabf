import Encoder
import Foundation
import ImageDecoding
import Tensors
import Formats
import Support

/// Fills a `FeatureCache` for a list of image files: each file is read, hashed, decoded and
/// encoded once; files already cached (by content hash) are skipped, so a rerun after a crash or
/// Ctrl-C picks up where the last one stopped.
public struct FeatureExtractor {
    public let encoder: VGGEncoder
    public let cache: FeatureCache
    public var maxPixels: Int = ImageDecoder.defaultMaxPixels

    public init(encoder: VGGEncoder, cache: FeatureCache) {
        self.encoder = encoder
        self.cache = cache
    }

    /// A file that could not be read or decoded, with the reason.
    public struct Failure: Error, Sendable {
        public let url: URL
        public let reason: String
    }

    /// The content key the cache uses for a file's bytes.
    public static func key(for data: Data) -> Data { Data(SHA256.hash(data)) }

    /// Caches every file of `urls`, calling `progress(done, failed)` after each group. Returns
    /// each file's key (nil where it failed) and the failures.
    @discardableResult
    public func extract(_ urls: [URL], progress: (Int, Int) -> Void = { _, _ in }) throws -> (keys: [Data?], failures: [Failure]) {
        var keys = [Data?](repeating: nil, count: urls.count)
        var failures: [Failure] = []
        // A group of two images per core: decoding runs in parallel, then each core encodes whole images.
        let groupSize = 2 * Parallel.workers
        for start in stride(from: 0, to: urls.count, by: groupSize) {
            let group = Array(start..<min(urls.count, start + groupSize))
            var loaded = [Result<(key: Data, image: Image?), Failure>?](repeating: nil, count: group.count)
            loaded.withUnsafeMutableBufferPointer { buffer in
                let target = UncheckedSendable(buffer)
                Parallel.forEach(group.count) { i in
                    target.value[i] = load(urls[group[i]])
                }
            }
            var toEncode: [(index: Int, key: Data, image: Image)] = []
            for (i, result) in zip(group, loaded) {
                switch result! {
                case .success(let item):
                    keys[i] = item.key
                    if let image = item.image { toEncode.append((i, item.key, image)) }
                case .failure(let failure):
                    failures.append(failure)
                }
            }
            let outputs = encoder.encode(batch: toEncode.map(\.image))
            for (item, output) in zip(toEncode, outputs) {
                try cache.add(key: item.key, features: output.features)
            }
            progress(min(urls.count, start + groupSize), failures.count)
        }
        return (keys, failures)
    }

    /// Reads and hashes a file, and decodes it unless its features are already cached.
    private func load(_ url: URL) -> Result<(key: Data, image: Image?), Failure> {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            return .failure(Failure(url: url, reason: "cannot read file: \(error.localizedDescription)"))
        }
        let key = Self.key(for: data)
        if cache.contains(key) { return .success((key, nil)) }
        do {
            return .success((key, try ImageDecoder.decode(data, maxPixels: maxPixels)))
        } catch {
            return .failure(Failure(url: url, reason: error.description))
        }
    }
}
