import Foundation

/// Flickr8k's text layout (also used by Flickr30k's token file): a caption file of
/// `IMAGE.jpg#N<TAB>caption` lines, standard split files `Flickr_8k.<split>Images.txt` next to
/// it, and the JPEGs in `images/`.
public enum Flickr8kFormat {
    /// The caption file a Flickr8k directory holds.
    public static let tokenFileName = "Flickr8k.token.txt"
    /// Where a Flickr8k directory keeps its images, unless told otherwise.
    public static let imagesDirectoryName = "images"
    /// The split names with a standard split file, in the order they tag images.
    public static let standardSplits = ["train", "dev", "test"]

    /// The standard split file for `split`; `val` names the `dev` file, as Karpathy's data
    /// calls that split `val`.
    public static func splitFileName(for split: String) -> String {
        "Flickr_8k.\(split == "val" ? "dev" : split)Images.txt"
    }

    /// Reads a Flickr8k-style directory: its token file (`Flickr8k.token.txt`, or the only
    /// `*.token.txt` / `*.token` file there), its standard split files, images in `images/`
    /// unless `images` says otherwise.
    public static func read(directory: URL, split: SplitSelection? = nil, images: URL? = nil) throws(DatasetError) -> CaptionDataset {
        let tokenFile = try findTokenFile(in: directory)
        return try read(tokenFile: tokenFile, split: split,
                        images: images ?? directory.appendingPathComponent(imagesDirectoryName))
    }

    /// Reads a token file; split files are looked for next to it, images default to the
    /// `images/` directory next to it. Images are tagged with the standard split listing them.
    public static func read(tokenFile: URL, split: SplitSelection? = nil, images: URL? = nil) throws(DatasetError) -> CaptionDataset {
        let folder = tokenFile.deletingLastPathComponent()
        var dataset = CaptionDataset(
            source: tokenFile,
            imagesDirectory: images ?? folder.appendingPathComponent(imagesDirectoryName),
            images: try captionedImages(inTokenFile: tokenFile))
        try tagStandardSplits(of: &dataset, in: folder)

        switch split {
        case nil:
            return dataset
        case .file(let splitFile):
            return try dataset.selecting(listedIn: splitFile)
        case .named(let names):
            guard !names.isEmpty else {
                throw .unsupportedSplit(tokenFile, reason: "empty split name")
            }
            var selected: [CaptionedImage] = []
            var selectedPaths = Set<String>()
            var warnings = dataset.warnings
            for name in names.sorted() {
                let splitFile = folder.appendingPathComponent(splitFileName(for: name))
                guard FileManager.default.fileExists(atPath: splitFile.path) else {
                    throw .unsupportedSplit(tokenFile, reason: "no split '\(name)': \(splitFile.lastPathComponent) not found next to the token file")
                }
                let part = try dataset.selecting(listedIn: splitFile)
                selected += part.images.filter { selectedPaths.insert($0.path).inserted }
                warnings += part.warnings.dropFirst(dataset.warnings.count)
            }
            dataset.images = selected
            dataset.warnings = warnings
            return dataset
        }
    }

    /// The images of a token file in order of first appearance, captions in file order.
    static func captionedImages(inTokenFile url: URL) throws(DatasetError) -> [CaptionedImage] {
        var images: [CaptionedImage] = []
        var indexByName: [String: Int] = [:]
        for line in try DatasetFile.lines(at: url) {
            let (key, caption) = try fields(of: line, in: url)
            let name = imageName(fromKey: key)
            if let index = indexByName[name] {
                images[index].captions.append(caption)
            } else {
                indexByName[name] = images.count
                images.append(CaptionedImage(path: name, captions: [caption]))
            }
        }
        guard !images.isEmpty else {
            throw .noImages(url, reason: "the token file holds no captions")
        }
        return images
    }

    /// Splits `IMAGE#N<TAB>caption`. Copies whose tab became spaces are accepted when the
    /// first field ends in `#N`, since that can't be part of a caption's first word by accident.
    private static func fields(of line: DatasetFile.Line, in url: URL) throws(DatasetError) -> (key: String, caption: String) {
        let text = line.text
        // Searching the UTF-8 bytes avoids grapheme breaking, the bulk of the cost on 35,000 lines.
        let separator = text.utf8.firstIndex(of: UInt8(ascii: "\t"))
            ?? text.firstIndex(where: \.isWhitespace).flatMap { space in
                imageName(fromKey: String(text[..<space])) != String(text[..<space]) ? space : nil
            }
        guard let separator else {
            // Trimming removed the tab of `IMAGE#N<TAB>` followed by nothing.
            if imageName(fromKey: String(text)) != String(text) {
                throw .malformedLine(url, line: line.number, content: String(text), problem: "empty caption")
            }
            let looksLikeImageName = !text.contains(where: \.isWhitespace) && text.contains(".")
            throw .malformedLine(url, line: line.number, content: String(text),
                                 problem: "expected 'IMAGE#N<TAB>caption'"
                                     + (looksLikeImageName ? " (this looks like a split file: pass it as the split)" : ""))
        }
        let key = text[..<separator].trimmingWhitespace()
        let caption = text[text.index(after: separator)...].trimmingWhitespace()
        guard !imageName(fromKey: String(key)).isEmpty else {
            throw .malformedLine(url, line: line.number, content: String(text), problem: "missing image name")
        }
        guard !caption.isEmpty else {
            throw .malformedLine(url, line: line.number, content: String(text), problem: "empty caption")
        }
        return (String(key), String(caption))
    }

    /// `IMAGE.jpg#3` → `IMAGE.jpg`; a key without a numeric `#N` suffix is the name itself.
    /// Works on UTF-8 bytes: `#` and ASCII digits can't be part of a multi-byte character.
    private static func imageName(fromKey key: String) -> String {
        let bytes = key.utf8
        guard let hash = bytes.lastIndex(of: UInt8(ascii: "#")) else { return key }
        let number = bytes[bytes.index(after: hash)...]
        guard !number.isEmpty, number.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return key }
        return String(key[..<hash])
    }

    private static func findTokenFile(in directory: URL) throws(DatasetError) -> URL {
        let standard = directory.appendingPathComponent(tokenFileName)
        if FileManager.default.fileExists(atPath: standard.path) {
            return standard
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let candidates = entries.filter { $0.hasSuffix(".token.txt") || $0.hasSuffix(".token") }.sorted()
        guard candidates.count == 1, let only = candidates.first else {
            let reason = candidates.isEmpty
                ? "no \(tokenFileName) (or other *.token.txt caption file) in this directory"
                : "several caption token files (\(candidates.joined(separator: ", "))): pass one of them"
            throw .unrecognizedFormat(directory, reason: reason)
        }
        return directory.appendingPathComponent(only)
    }

    /// Tags images with the standard split files present in `folder`. A standard file naming
    /// images the token file lacks is only warned about here: nothing asked for that split.
    private static func tagStandardSplits(of dataset: inout CaptionDataset, in folder: URL) throws(DatasetError) {
        var indexByName: [String: Int] = [:]
        for (index, image) in dataset.images.enumerated() {
            indexByName[image.path] = index
        }
        for split in standardSplits {
            let splitFile = folder.appendingPathComponent(splitFileName(for: split))
            guard FileManager.default.fileExists(atPath: splitFile.path) else { continue }
            var unknown = 0
            for name in try SplitFile.imageNames(at: splitFile) {
                let fileName = name.split(separator: "/").last.map(String.init) ?? name
                guard let index = indexByName[fileName] else {
                    unknown += 1
                    continue
                }
                if dataset.images[index].split == nil {
                    dataset.images[index].split = split
                }
            }
            if unknown > 0 {
                dataset.warnings.append("\(splitFile.path): \(unknown) image\(unknown == 1 ? "" : "s") not in the token file, left untagged")
            }
        }
    }
}
