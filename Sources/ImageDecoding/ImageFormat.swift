/// The file formats we decode, recognised by their signature bytes. File names are never
/// consulted: a PNG saved as `photo.jpg` is still a PNG.
enum ImageFormat {
    case jpeg
    case png

    private static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]  // SOI marker, then the next marker
    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The format whose signature starts `bytes`, or nil for anything else.
    init?(sniffing bytes: UnsafeRawBufferPointer) {
        if bytes.starts(with: Self.jpegSignature) {
            self = .jpeg
        } else if bytes.starts(with: Self.pngSignature) {
            self = .png
        } else {
            return nil
        }
    }

    /// The name of a common image format this build cannot decode, recognised by its signature
    /// (GIF, WebP, BMP, TIFF, HEIF, AVIF), so the error can say what the file is and how to
    /// convert it instead of calling it "not an image".
    static func unsupportedName(sniffing bytes: UnsafeRawBufferPointer) -> String? {
        func ascii(_ range: Range<Int>) -> String? {
            guard bytes.count >= range.upperBound else { return nil }
            return String(decoding: bytes[range], as: UTF8.self)
        }
        if ascii(0..<6) == "GIF87a" || ascii(0..<6) == "GIF89a" { return "GIF" }
        if ascii(0..<4) == "RIFF" && ascii(8..<12) == "WEBP" { return "WebP" }
        if bytes.starts(with: [0x49, 0x49, 0x2A, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if ascii(4..<8) == "ftyp", let brand = ascii(8..<12) {
            if ["avif", "avis"].contains(brand) { return "AVIF" }
            if ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].contains(brand) { return "HEIF" }
        }
        // "BM" alone is too common a start for text; the DIB header size pins it down.
        if ascii(0..<2) == "BM", bytes.count >= 18,
           [12, 40, 52, 56, 64, 108, 124].contains(Int(bytes[14]) | Int(bytes[15]) << 8 | Int(bytes[16]) << 16 | Int(bytes[17]) << 24) {
            return "BMP"
        }
        return nil
    }
}
