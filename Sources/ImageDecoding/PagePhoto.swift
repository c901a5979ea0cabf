import Foundation

/// A photo as a web page can show it, with the pixels the models saw.
public enum PagePhoto {
    /// JPEG and PNG files as they are: every browser shows them, EXIF rotation included. Other
    /// formats (TIFF and HEIC, which browsers do not show; WebP, GIF, BMP and AVIF for one rule)
    /// as a JPEG of the decoded, upright picture at quality 90.
    public static func embeddable(_ bytes: Data, decoded: Image) throws(ImageDecodingError) -> (bytes: Data, mimeType: String) {
        let format = bytes.withUnsafeBytes { ImageFormat(sniffing: $0) }
        switch format {
        case .jpeg: return (bytes, "image/jpeg")
        case .png: return (bytes, "image/png")
        default: return (Data(try JPEGEncoder.encode(decoded, quality: 90)), "image/jpeg")
        }
    }
}
