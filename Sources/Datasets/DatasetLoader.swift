import Foundation

/// Reads a caption dataset in whichever supported format `url` holds, decided from what the
/// path is, so the command line takes one `--dataset` argument for all of them:
/// a directory is a Flickr8k layout, a `.json` file is Karpathy's or COCO's format (told
/// apart by its keys), any other file is a Flickr8k-style token file.
public enum DatasetLoader {
    /// - Parameters:
    ///   - split: the part to keep; nil keeps every image (with the split tags the data has).
    ///   - images: the images directory; defaults to `images/` in (or next to) the dataset.
    public static func load(_ url: URL, split: SplitSelection? = nil, images: URL? = nil) throws(DatasetError) -> CaptionDataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .missingFile(url)
        }
        if isDirectory.boolValue {
            return try Flickr8kFormat.read(directory: url, split: split, images: images)
        }
        guard url.pathExtension.lowercased() == "json" else {
            return try Flickr8kFormat.read(tokenFile: url, split: split, images: images)
        }
        switch try CaptionJSON.decode(CaptionJSON.Document.self, from: url) {
        case .karpathy(let document):
            return try KarpathyFormat.dataset(from: document, source: url, split: split, images: images)
        case .coco(let document):
            return try COCOCaptionsFormat.dataset(from: document, source: url, split: split, images: images)
        case .unrecognized(let reason):
            throw .unrecognizedFormat(url, reason: reason)
        }
    }
}
