import Text
import Alignment
import Captioning
import Foundation
import Tensors
import Encoder

/// A dataset split made ready for the aligner: every image's region features (`ImageRegions`:
/// pool5's 7 × 7 cells or conv5_3's 14 × 14, and the whole image) and every caption as word ids,
/// with the image it belongs to. Captions that tokenize to nothing are left out, and so is an
/// image left with no caption (retrieval needs at least one correct sentence per image).
public struct AlignmentTrainingSet: Sendable {
    /// The images kept, in dataset order.
    public let images: [CaptionedImage]
    /// `[grid² + 1, 512]` per image, raw (the model L2-normalizes each region itself).
    public let regions: [Tensor]
    /// Every kept caption as word ids, image by image.
    public let sentences: [[Int]]
    /// For each sentence, the index (into `images`) of its image.
    public let sentenceImages: [Int]

    /// Tokenizes and encodes `dataset`'s captions with `vocabulary`; `features` are the cached
    /// encoder outputs of `dataset.images`, in order, which must hold the `regionGrid` regions
    /// (`hasRegions`: conv5_3 for 14).
    public init(_ dataset: CaptionDataset, vocabulary: Vocabulary, tokenizer: Tokenizer, features: [EncoderFeatures],
                regionGrid: Int = 7) {
        precondition(features.count == dataset.images.count, "one EncoderFeatures per image")
        precondition(Self.hasRegions(features, grid: regionGrid), "features without the \(regionGrid) × \(regionGrid) grid")
        var images: [CaptionedImage] = [], regions: [Tensor] = []
        var sentences: [[Int]] = [], sentenceImages: [Int] = []
        for (image, feature) in zip(dataset.images, features) {
            let encoded = image.captions.map { tokenizer.tokens($0) }.filter { !$0.isEmpty }.map(vocabulary.encode)
            guard !encoded.isEmpty else { continue }
            for sentence in encoded {
                sentences.append(sentence)
                sentenceImages.append(images.count)
            }
            images.append(image)
            regions.append(feature.regions(grid: regionGrid)!)
        }
        self.images = images
        self.regions = regions
        self.sentences = sentences
        self.sentenceImages = sentenceImages
    }

    /// Whether every one of `features` has the `grid` × `grid` regions (a cache made before
    /// conv5_3 was kept has only 7 × 7).
    public static func hasRegions(_ features: [EncoderFeatures], grid: Int) -> Bool {
        grid == 7 || features.allSatisfy { $0.conv5 != nil }
    }
}
