import Foundation

/// Turns JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC or AVIF bytes into an upright RGB8 ``Image``.
///
/// The format is recognised from the first bytes, never from the file name. Images whose
/// header claims more than `maxPixels` pixels are refused before any pixel memory is
/// allocated, so a tiny malicious file cannot exhaust memory.
public enum ImageDecoder {
    /// 100 megapixels: well above any camera photo, well below what would exhaust memory.
    public static let defaultMaxPixels = 100_000_000

    /// Decodes an image held in memory.
    public static func decode(_ data: Data, maxPixels: Int = defaultMaxPixels) throws(ImageDecodingError) -> Image {
        // withUnsafeBytes only rethrows untyped errors, so carry the result out as a Result.
        try data.withUnsafeBytes { bytes in
            Result { () throws(ImageDecodingError) in try decode(bytes: bytes, maxPixels: maxPixels) }
        }.get()
    }

    /// Decodes an image held in memory.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = defaultMaxPixels) throws(ImageDecodingError) -> Image {
        try bytes.withUnsafeBytes { bytes in
            Result { () throws(ImageDecodingError) in try decode(bytes: bytes, maxPixels: maxPixels) }
        }.get()
    }

    /// Reads and decodes an image file; read failures become ``ImageDecodingError/unreadable(_:)``.
    public static func decode(contentsOf url: URL, maxPixels: Int = defaultMaxPixels) throws(ImageDecodingError) -> Image {
        try decode(read(contentsOf: url), maxPixels: maxPixels)
    }

    /// A file's bytes; read failures become ``ImageDecodingError/unreadable(_:)``.
    public static func read(contentsOf url: URL) throws(ImageDecodingError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw .unreadable(readFailureReason(error))
        }
    }

    private static func decode(bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        guard !bytes.isEmpty else { throw .emptyFile }
        switch ImageFormat(sniffing: bytes) {
        case .jpeg: return try LibraryDecoder.jpeg.decode(bytes, maxPixels: maxPixels)
        case .png: return try LibraryDecoder.png.decode(bytes, maxPixels: maxPixels)
        case .webp: return try LibraryDecoder.webp.decode(bytes, maxPixels: maxPixels)
        case .gif: return try LibraryDecoder.gif.decode(bytes, maxPixels: maxPixels)
        case .bmp: return try BMPDecoder.decode(bytes, maxPixels: maxPixels)
        case .tiff: return try LibraryDecoder.tiff.decode(bytes, maxPixels: maxPixels)
        case .heif: return try LibraryDecoder.heif.decode(bytes, maxPixels: maxPixels)
        case nil:
            if let name = ImageFormat.unsupportedName(sniffing: bytes) { throw .unsupportedFormat(name) }
            throw .unknownFormat
        }
    }

    /// A short reason without the file name (the CLI prints the name itself): the operating
    /// system's text when Foundation passes one on ("No such file or directory", "Is a
    /// directory"), else Foundation's own description.
    private static func readFailureReason(_ error: any Error) -> String {
        if let underlying = (error as? CocoaError)?.underlying {
            return underlying.localizedDescription
        }
        return error.localizedDescription
    }
}
