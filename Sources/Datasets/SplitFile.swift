import Foundation

/// The split-file format: one image name (or relative path) a line, as in Flickr8k's
/// `Flickr_8k.trainImages.txt`.
enum SplitFile {
    /// The names listed, in order, blank lines skipped.
    static func imageNames(at url: URL) throws(DatasetError) -> [String] {
        let lines = try DatasetFile.lines(at: url)
        var names: [String] = []
        names.reserveCapacity(lines.count)
        for line in lines {
            // A tab means a caption token file was passed where a split file was expected.
            if line.text.contains("\t") {
                throw .malformedLine(url, line: line.number, content: String(line.text),
                                     problem: "expected one image name per line (this looks like a caption token file)")
            }
            names.append(String(line.text))
        }
        guard !names.isEmpty else {
            throw .noImages(url, reason: "the split file lists no image names")
        }
        return names
    }
}
