import CImageCodecs

/// Encodes an ``Image`` as a baseline JPEG: small previews such as the batch report's thumbnails.
public enum JPEGEncoder {
    /// JPEG bytes at `quality` 1…100; errors carry libjpeg's message.
    public static func encode(_ image: Image, quality: Int = 75) throws(ImageDecodingError) -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            cjpeg_encode_rgb8(pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(min(max(quality, 1), 100)),
                              &buffer, &size, &message, message.count)
        }
        guard status == 0, let buffer else {
            throw .corrupt(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { cjpeg_free(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }

    /// A copy no larger than `side` × `side`, keeping the aspect ratio, as JPEG bytes.
    public static func thumbnail(_ image: Image, side: Int, quality: Int = 70) throws(ImageDecodingError) -> [UInt8] {
        let scale = min(1, Double(side) / Double(max(image.width, image.height)))
        let width = max(1, Int((Double(image.width) * scale).rounded()))
        let height = max(1, Int((Double(image.height) * scale).rounded()))
        return try encode(scale < 1 ? image.resized(width: width, height: height) : image, quality: quality)
    }
}
