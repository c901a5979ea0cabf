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
}
