/// Why a file could not be turned into an ``Image``.
///
/// `description` is a single lowercase line meant to follow the file name, as in
/// `caption: error: photo.jpg: not a JPEG or PNG image`.
public enum ImageDecodingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file has zero bytes.
    case emptyFile
    /// The first bytes are neither a JPEG nor a PNG signature.
    case unknownFormat
    /// A common image format (named: "WebP", "GIF", …) that this build cannot decode.
    case unsupportedFormat(String)
    /// The header claims more pixels than the caller allows; refused before decoding so a
    /// tiny file cannot make us allocate gigabytes.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// libjpeg or libpng rejected the data (truncated, damaged, or a variant they cannot
    /// decode); the payload is the library's own message.
    case corrupt(String)
    /// The file could not be read at all (missing, a directory, no permission...).
    case unreadable(String)

    public var description: String {
        switch self {
        case .emptyFile:
            "empty file"
        case .unknownFormat:
            "not a JPEG or PNG image"
        case let .unsupportedFormat(name):
            "unsupported image format: \(name) (convert it to JPEG or PNG first, e.g. `convert photo.\(name.lowercased()) photo.png`)"
        case let .tooLarge(width, height, limit):
            "image is \(width)x\(height) pixels, more than the limit of \(limit) pixels (--max-pixels \(width * height) allows it)"
        case let .corrupt(message):
            "cannot decode image: \(message)"
        case let .unreadable(message):
            "cannot read file: \(message)"
        }
    }
}
