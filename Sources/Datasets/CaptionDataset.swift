import Text
import Captioning
import Foundation

/// Images with their raw captions, read from any supported dataset format (see
/// `DatasetLoader`), and where the image files are. Every image has at least one caption.
public struct CaptionDataset: Sendable, Equatable {
    /// The file or directory the dataset was read from; errors and reports name it.
    public var source: URL
    /// The directory `CaptionedImage.path` is relative to.
    public var imagesDirectory: URL
    /// The images in the order the source (or the split file that selected them) lists them.
    public var images: [CaptionedImage]
    /// One-line notes about things skipped or merged while reading, for the caller to show;
    /// problems that would make the data wrong are errors instead.
    public var warnings: [String]

    public init(source: URL, imagesDirectory: URL, images: [CaptionedImage], warnings: [String] = []) {
        self.source = source
        self.imagesDirectory = imagesDirectory
        self.images = images
        self.warnings = warnings
    }

    /// The number of captions over all images.
    public var captionCount: Int {
        images.reduce(0) { $0 + $1.captions.count }
    }

    /// The distinct split tags present, sorted.
    public var splitNames: [String] {
        Set(images.compactMap(\.split)).sorted()
    }

    /// Where `image`'s file is expected on disk.
    public func imageURL(for image: CaptionedImage) -> URL {
        imagesDirectory.appendingPathComponent(image.path)
    }

    /// The images whose file isn't on disk. Readers don't require the files (captions can be
    /// inspected without them); callers that are about to decode images check this first.
    public func missingImageFiles() -> [CaptionedImage] {
        images.filter { !FileManager.default.fileExists(atPath: imageURL(for: $0).path) }
    }

    /// Every caption of every image, tokenized, in dataset order (e.g. to build a `Vocabulary`).
    public func tokenizedCaptions(with tokenizer: Tokenizer) -> [[String]] {
        images.flatMap { $0.captions.map(tokenizer.tokens) }
    }

    /// The images the dataset tags with one of `names`.
    public func selecting(splits names: Set<String>) throws(DatasetError) -> CaptionDataset {
        let selected = images.filter { image in image.split.map(names.contains) ?? false }
        guard !selected.isEmpty else {
            let wanted = names.sorted().map { "'\($0)'" }.joined(separator: ", ")
            let present = splitNames
            let reason = present.isEmpty
                ? "no split \(wanted): this dataset has no split tags (use a split file)"
                : "no image in split \(wanted) (splits present: \(present.joined(separator: ", ")))"
            throw .noImages(source, reason: reason)
        }
        var copy = self
        copy.images = selected
        return copy
    }

    /// The images a split file lists, in its order. An entry matches an image by its relative
    /// path or, failing that, by file name (so `images/x.jpg` and `x.jpg` both find `x.jpg`).
    /// Any entry matching no image is an error: a split that disagrees with the captions
    /// means the wrong files are being used, which training would otherwise hide.
    public func selecting(listedIn splitFile: URL) throws(DatasetError) -> CaptionDataset {
        let names = try SplitFile.imageNames(at: splitFile)
        var indexByPath: [String: Int] = [:]
        var indicesByFileName: [String: [Int]] = [:]
        for (index, image) in images.enumerated() {
            indexByPath[image.path] = index
            indicesByFileName[image.fileName, default: []].append(index)
        }
        var chosen: [Int] = []
        var alreadyChosen = Set<Int>()
        var unknown: [String] = []
        var repeated = 0
        for name in names {
            let matches: [Int]
            if let index = indexByPath[name] {
                matches = [index]
            } else {
                let fileName = name.split(separator: "/").last.map(String.init) ?? name
                matches = indicesByFileName[fileName] ?? []
            }
            if matches.isEmpty {
                unknown.append(name)
            }
            for index in matches {
                if alreadyChosen.insert(index).inserted {
                    chosen.append(index)
                } else {
                    repeated += 1
                }
            }
        }
        if !unknown.isEmpty {
            throw .unknownImages(splitFile: splitFile, dataset: source, count: unknown.count, examples: Array(unknown.prefix(3)))
        }
        var copy = self
        copy.images = chosen.map { images[$0] }
        if repeated > 0 {
            copy.warnings.append("\(splitFile.path): \(repeated) repeated image name\(repeated == 1 ? "" : "s") ignored")
        }
        return copy
    }
}
