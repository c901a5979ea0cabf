import CImageCodecs

/// The two calls every decoder in the CImageCodecs shim offers (see cimage_codecs.h): the
/// header alone, then the pixels as RGB8 with alpha already over white.
struct CodecShim: Sendable {
    typealias ReadInfo = @convention(c) (
        _ data: UnsafePointer<UInt8>?, _ size: Int, _ info: UnsafeMutablePointer<cimage_info>?,
        _ message: UnsafeMutablePointer<CChar>?, _ capacity: Int
    ) -> Int32
    typealias DecodeRGB8 = @convention(c) (
        _ data: UnsafePointer<UInt8>?, _ size: Int, _ out: UnsafeMutablePointer<UInt8>?, _ outCapacity: Int,
        _ message: UnsafeMutablePointer<CChar>?, _ capacity: Int
    ) -> Int32

    let readInfo: ReadInfo
    let decodeRGB8: DecodeRGB8

    static let gif = CodecShim(readInfo: cgif_read_info, decodeRGB8: cgif_decode_rgb8)
    static let tiff = CodecShim(readInfo: ctiff_read_info, decodeRGB8: ctiff_decode_rgb8)
    static let heif = CodecShim(readInfo: cheif_read_info, decodeRGB8: cheif_decode_rgb8)

    /// Decodes `bytes` in two passes (the pixel limit is checked between them) and applies
    /// the orientation the header reported.
    func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let input = bytes.bindMemory(to: UInt8.self)
        var info = cimage_info()
        let image = try decodeInTwoPasses(maxPixels: maxPixels, readHeader: { message in
            let status = message.withBuffer { text, capacity in
                readInfo(input.baseAddress, input.count, &info, text, capacity)
            }
            return status == Int32(CIMAGE_OK) ? (Int(info.width), Int(info.height)) : nil
        }, decodeRGB: { buffer, capacity, message in
            message.withBuffer { text, textCapacity in
                decodeRGB8(input.baseAddress, input.count, buffer, capacity, text, textCapacity)
            } == Int32(CIMAGE_OK)
        })
        return (Orientation(rawValue: Int(info.orientation)) ?? .identity).apply(to: image)
    }
}
