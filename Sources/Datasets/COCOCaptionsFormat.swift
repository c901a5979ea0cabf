import Foundation
import Support

/// MS-COCO's caption annotation files (`captions_train2014.json`): `images` with `id` and
/// `file_name`, `annotations` with `image_id` and `caption`. They carry no split tags, so
/// only a split file can select part of one.
public enum COCOCaptionsFormat: JSONCaptionFormat {
    /// The JSON shape; `info`, `licenses` and the other per-image fields are ignored.
    public struct Document: Decodable {
        struct Image: Decodable {
            let id: Int
            let fileName: String

            enum CodingKeys: String, CodingKey {
                case id
                case fileName = "file_name"
            }
        }

        struct Annotation: Decodable {
            let imageID: Int
            let caption: String

            enum CodingKeys: String, CodingKey {
                case imageID = "image_id"
                case caption
            }
        }

        let images: [Image]
        let annotations: [Annotation]
    }

    public static func dataset(from document: Document, source: URL, split: SplitSelection?, images: URL?) throws(DatasetError) -> CaptionDataset {
        var captioned: [CaptionedImage] = []
        captioned.reserveCapacity(document.images.count)
        var indexByID: [Int: Int] = [:]
        for (index, image) in document.images.enumerated() {
            guard indexByID[image.id] == nil else {
                throw .malformedJSON(source, reason: "images[\(index)]: id \(image.id) is used twice")
            }
            let fileName = image.fileName.trimmingCharacters(in: .whitespaces)
            guard !fileName.isEmpty else {
                throw .malformedJSON(source, reason: "images[\(index)].file_name is empty")
            }
            indexByID[image.id] = captioned.count
            captioned.append(CaptionedImage(path: fileName, captions: []))
        }
        for (index, annotation) in document.annotations.enumerated() {
            guard let imageIndex = indexByID[annotation.imageID] else {
                throw .malformedJSON(source, reason: "annotations[\(index)]: image_id \(annotation.imageID) is not among the images")
            }
            // COCO captions often end in a newline or space; the text itself is kept as written.
            let caption = annotation.caption.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !caption.isEmpty else {
                throw .malformedJSON(source, reason: "annotations[\(index)]: empty caption")
            }
            captioned[imageIndex].captions.append(caption)
        }
        // Image lists without annotations (test2014's) are normal; such images can be neither
        // trained on nor scored, so they are left out rather than failing the whole file.
        let uncaptioned = captioned.count(where: { $0.captions.isEmpty })
        var dataset = CaptionDataset(
            source: source,
            imagesDirectory: images ?? source.deletingLastPathComponent().appendingPathComponent(Flickr8kFormat.imagesDirectoryName),
            images: captioned.filter { !$0.captions.isEmpty })
        if uncaptioned > 0 {
            dataset.warnings.append("\(source.path): \(uncaptioned) image\(uncaptioned == 1 ? "" : "s") without captions skipped")
        }
        guard !dataset.images.isEmpty else {
            throw .noImages(source, reason: "no annotation has a caption")
        }
        switch split {
        case nil:
            return dataset
        case .named(let names):
            throw .unsupportedSplit(source, reason: "COCO captions JSON has no split tags, so split \(names.sorted().joined(separator: ",")) can't be selected: pass a split file")
        case .file(let splitFile):
            return try dataset.selecting(listedIn: splitFile)
        }
    }
}
