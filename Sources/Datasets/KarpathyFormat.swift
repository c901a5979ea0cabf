import Foundation

/// Karpathy's `dataset_{flickr8k,flickr30k,coco}.json` (from NeuralTalk): images with
/// `filename`, optional `filepath` (COCO's `train2014`/`val2014`), a `split` tag
/// (`train`/`val`/`test`/`restval`) and `sentences` with `raw` text and `tokens`.
public enum KarpathyFormat: JSONCaptionFormat {
    /// The JSON shape; fields the reader doesn't need (`imgid`, `sentids`, `cocoid`) are ignored.
    public struct Document: Decodable {
        struct Image: Decodable {
            let filename: String
            let filepath: String?
            let split: String?
            let sentences: [Sentence]
        }

        struct Sentence: Decodable {
            let raw: String?
            let tokens: [String]?
        }

        let images: [Image]
    }

    public static func dataset(from document: Document, source: URL, split: SplitSelection?, images: URL?) throws(DatasetError) -> CaptionDataset {
        var captioned: [CaptionedImage] = []
        captioned.reserveCapacity(document.images.count)
        var skipped = 0
        for (index, image) in document.images.enumerated() {
            let filename = image.filename.trimmingCharacters(in: .whitespaces)
            guard !filename.isEmpty else {
                throw .malformedJSON(source, reason: "images[\(index)].filename is empty")
            }
            let folder = image.filepath?.trimmingCharacters(in: .whitespaces) ?? ""
            let path = folder.isEmpty ? filename : folder + "/" + filename
            var captions: [String] = []
            for (sentenceIndex, sentence) in image.sentences.enumerated() {
                // `raw` is what a human wrote; `tokens` (already lowercased and stripped) only
                // stands in when a file lacks it, so every format feeds the tokenizer the same way.
                let raw = sentence.raw?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                let text = raw.isEmpty ? (sentence.tokens ?? []).joined(separator: " ") : raw
                guard !text.isEmpty else {
                    throw .malformedJSON(source, reason: "images[\(index)].sentences[\(sentenceIndex)] has neither raw text nor tokens")
                }
                captions.append(text)
            }
            if captions.isEmpty {
                skipped += 1
                continue
            }
            captioned.append(CaptionedImage(path: path, split: image.split, captions: captions))
        }
        var dataset = CaptionDataset(
            source: source,
            imagesDirectory: images ?? source.deletingLastPathComponent().appendingPathComponent(Flickr8kFormat.imagesDirectoryName),
            images: captioned)
        if skipped > 0 {
            dataset.warnings.append("\(source.path): \(skipped) image\(skipped == 1 ? "" : "s") without sentences skipped")
        }
        guard !captioned.isEmpty else {
            throw .noImages(source, reason: "no image has sentences")
        }
        switch split {
        case nil: return dataset
        case .named(let names): return try dataset.selecting(splits: names)
        case .file(let splitFile): return try dataset.selecting(listedIn: splitFile)
        }
    }
}
