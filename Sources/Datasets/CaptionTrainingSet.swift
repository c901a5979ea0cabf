import Encoder
import Text
import Captioning
import Foundation
import Tensors

/// A dataset split made ready for the captioner: captions as word ids, and one pooled image
/// vector per image (from the feature cache).
public struct CaptionTrainingSet: Sendable {
    /// One (image, caption) pair, the unit of a minibatch.
    public struct Pair: Sendable {
        public let image: Int
        public let words: [Int]
    }

    /// Pooled but not standardized vectors, `[images][size]`; empty for text-only training.
    public let pooledVectors: [[Float]]
    /// Each image's captions as token lists, for the metrics' references.
    public let references: [[[String]]]
    public let pairs: [Pair]
    public let images: [CaptionedImage]

    /// Tokenizes and encodes `dataset`'s captions with `vocabulary` (captions longer than
    /// `maxLength` tokens are cut, as neuraltalk2 does), and looks up each image's features in
    /// `features` (nil for text-only; with conv5_3 for `conv5Regions`).
    public init(_ dataset: CaptionDataset, vocabulary: Vocabulary, tokenizer: Tokenizer, maxLength: Int,
                features: [EncoderFeatures]?, pooling: ImageFeatureSpec.Pooling) {
        images = dataset.images
        references = dataset.images.map { image in image.captions.map { tokenizer.tokens($0) } }
        var pairs: [Pair] = []
        for (index, captions) in references.enumerated() {
            for tokens in captions where !tokens.isEmpty {
                pairs.append(Pair(image: index, words: vocabulary.encode(Array(tokens.prefix(maxLength)))))
            }
        }
        self.pairs = pairs
        pooledVectors = features?.map { ImageFeatureSpec.pooled(pool5: $0.pool5, conv5: $0.conv5, pooling) } ?? []
    }

    /// `dataset` encoded as `captioner` reads it: its vocabulary, tokenizer and pooling.
    public init(_ dataset: CaptionDataset, for captioner: CaptionModelFile, maxLength: Int, features: [EncoderFeatures]?) {
        self.init(dataset, vocabulary: captioner.vocabulary, tokenizer: captioner.tokenizer, maxLength: maxLength,
                  features: features, pooling: captioner.features?.pooling ?? .mean)
    }

    /// The standardized feature rows of `imageIndices`, `[B, size]`.
    public func featureBatch(_ imageIndices: [Int], spec: ImageFeatureSpec) -> Tensor {
        var data = [Float]()
        data.reserveCapacity(imageIndices.count * spec.size)
        for index in imageIndices { data += spec.standardized(pooledVectors[index]) }
        return Tensor(shape: [imageIndices.count, spec.size], data: data)
    }
}

extension FeatureCache {
    /// Features for every image of `dataset`, encoding the ones not cached yet (with
    /// `extractor`), in dataset order, with conv5_3 only for a `regionGrid` of 14: the captioner
    /// and a 7 × 7 aligner read pool5, and a whole split's conv5_3 is 4× its pool5 in memory.
    /// Throws if an image cannot be read.
    public func features(for dataset: CaptionDataset, extractor: FeatureExtractor, regionGrid: Int = 7,
                         progress: (Int, Int) -> Void = { _, _ in }) throws -> [EncoderFeatures] {
        let urls = dataset.images.map { dataset.imageURL(for: $0) }
        let (keys, failures) = try extractor.extract(urls, progress: progress)
        if let first = failures.first {
            throw FeatureCacheError(url: first.url, reason: first.reason
                                    + (failures.count > 1 ? " (and \(failures.count - 1) more images)" : ""))
        }
        return try keys.map { key in
            var features = try entry(for: key!)!
            if regionGrid == 7 { features.conv5 = nil }
            return features
        }
    }
}
