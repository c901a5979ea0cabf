/// Why a file could not be turned into an ``Image``.
///
/// `description` is a single lowercase line meant to follow the file name, as in
/// `caption: error: photo.jpg: empty file`.
public enum ImageDecodingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file has zero bytes.
    case emptyFile
    /// The first bytes are no image signature we know.
    case unknownFormat
    /// A known image format (named: "JPEG XL", "PSD", …) that this build cannot decode.
    case unsupportedFormat(String)
    /// The header claims more pixels than the caller allows; refused before decoding so a
    /// tiny file cannot make us allocate gigabytes.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// The decoder or its library rejected the data (truncated, damaged, or a variant they cannot
    /// decode); the payload is the library's own message.
    case corrupt(String)
    /// The file could not be read at all (missing, a directory, no permission...).
    case unreadable(String)

    public var description: String {
        switch self {
        case .emptyFile:
            "empty file"
        case .unknownFormat:
            "not an image (readable formats: JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, AVIF)"
        case let .unsupportedFormat(name):
            "unsupported image format: \(name) (convert it to PNG or JPEG first, e.g. `convert FILE photo.png` with ImageMagick)"
        case let .tooLarge(width, height, limit):
            "image is \(width)x\(height) pixels, more than the limit of \(limit) pixels (--max-pixels \(width * height) allows it)"
        case let .corrupt(message):
            "cannot decode image: \(message)"
        case let .unreadable(message):
            "cannot read file: \(message)"
        }
    }
}
