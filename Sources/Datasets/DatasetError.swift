import Foundation
import Support

/// Why a caption dataset couldn't be read. Every case names the file involved, and
/// `description` is a single line (`path: problem`) fit to print as a command-line error.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The file or directory doesn't exist.
    case missingFile(URL)
    /// The file exists but couldn't be read (permissions, a directory where a file was expected…).
    case unreadableFile(URL, reason: String)
    /// The file isn't valid UTF-8 text.
    case invalidUTF8(URL)
    /// Line `line` (1-based) of a text file doesn't have the expected shape.
    case malformedLine(URL, line: Int, content: String, problem: String)
    /// A JSON file isn't valid JSON or lacks a field; `reason` locates it (e.g. `images[3].split`).
    case malformedJSON(URL, reason: String)
    /// The path isn't any dataset format this loader knows.
    case unrecognizedFormat(URL, reason: String)
    /// A split file names images the dataset doesn't have: the split and the captions disagree,
    /// so training or evaluating on the remainder would silently use the wrong set.
    case unknownImages(splitFile: URL, dataset: URL, count: Int, examples: [String])
    /// The dataset, or the part of it a split selects, holds no captioned image.
    case noImages(URL, reason: String)
    /// A split was asked for in a way this dataset can't provide.
    case unsupportedSplit(URL, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let url):
            return "\(url.path): no such file or directory"
        case .unreadableFile(let url, let reason):
            return "\(url.path): can't read: \(reason)"
        case .invalidUTF8(let url):
            return "\(url.path): not valid UTF-8 text"
        case .malformedLine(let url, let line, let content, let problem):
            return "\(url.path):\(line): \(problem): \(Self.excerpt(content))"
        case .malformedJSON(let url, let reason):
            return "\(url.path): malformed caption JSON: \(reason)"
        case .unrecognizedFormat(let url, let reason):
            return "\(url.path): unrecognized dataset: \(reason)"
        case .unknownImages(let splitFile, let dataset, let count, let examples):
            let shown = examples.joined(separator: ", ")
            let more = count > examples.count ? ", …" : ""
            return "\(splitFile.path): \(count) image\(count == 1 ? "" : "s") not in \(dataset.path): \(shown)\(more)"
        case .noImages(let url, let reason):
            return "\(url.path): no images: \(reason)"
        case .unsupportedSplit(let url, let reason):
            return "\(url.path): \(reason)"
        }
    }

    public var errorDescription: String? { description }

    /// A quoted, escaped (tabs show as `\t`) and shortened copy of a bad line, so the
    /// message stays one readable line even for a binary file or a huge line.
    private static func excerpt(_ content: String) -> String {
        let limit = 100
        let short = content.count > limit ? String(content.prefix(limit)) + "…" : content
        return short.debugDescription
    }
}
