/// The file formats we decode, recognised by their signature bytes. File names are never
/// consulted: a PNG saved as `photo.jpg` is still a PNG.
enum ImageFormat {
    case jpeg
    case png
    case webp
    case gif
    case bmp
    case tiff
    /// HEIF in all its brands: HEIC (HEVC) and AVIF (AV1) share the container and libheif.
    case heif

    private static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]  // SOI marker, then the next marker
    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// ISO base media major brands of still HEIF images (HEIC, AVIF, and the generic ones).
    private static let heifBrands: Set<String> = [
        "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis",
    ]

    /// The format whose signature starts `bytes`, or nil for anything else.
    init?(sniffing bytes: UnsafeRawBufferPointer) {
        let signature = Signature(bytes)
        if bytes.starts(with: Self.jpegSignature) {
            self = .jpeg
        } else if bytes.starts(with: Self.pngSignature) {
            self = .png
        } else if signature.ascii(0..<4) == "RIFF" && signature.ascii(8..<12) == "WEBP" {
            self = .webp
        } else if signature.ascii(0..<6) == "GIF87a" || signature.ascii(0..<6) == "GIF89a" {
            self = .gif
        } else if ["II*\0", "MM\0*", "II+\0", "MM\0+"].contains(signature.ascii(0..<4)) {  // classic and BigTIFF
            self = .tiff
        } else if signature.ascii(4..<8) == "ftyp", let brand = signature.ascii(8..<12), Self.heifBrands.contains(brand) {
            self = .heif
        } else if signature.ascii(0..<2) == "BM", let dibSize = signature.uint32LE(at: 14),
                  [12, 40, 52, 56, 64, 108, 124].contains(dibSize) {
            // "BM" alone is too common a start for text; the DIB header size pins it down.
            self = .bmp
        } else {
            return nil
        }
    }

    /// The name of a known image format this build cannot decode, recognised by its signature
    /// (JPEG XL, JPEG 2000, Photoshop, QOI), so the error can say what the file is and how to
    /// convert it instead of calling it "not an image".
    static func unsupportedName(sniffing bytes: UnsafeRawBufferPointer) -> String? {
        let signature = Signature(bytes)
        if bytes.starts(with: [0xFF, 0x0A]) || signature.ascii(4..<8) == "JXL " { return "JPEG XL" }
        if signature.ascii(4..<8) == "jP  " || bytes.starts(with: [0xFF, 0x4F, 0xFF, 0x51]) { return "JPEG 2000" }
        if signature.ascii(0..<4) == "8BPS" { return "PSD" }
        if signature.ascii(0..<4) == "qoif" { return "QOI" }
        return nil
    }
}

/// The first bytes of a file, read without running past their end.
private struct Signature {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func ascii(_ range: Range<Int>) -> String? {
        guard bytes.count >= range.upperBound else { return nil }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    func uint32LE(at offset: Int) -> Int? {
        guard bytes.count >= offset + 4 else { return nil }
        return (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }
}
