import CImageCodecs

/// Decodes WebP (lossy, lossless, with alpha; the first frame of an animation) with libwebp
/// into upright RGB8. An EXIF chunk's orientation is applied, as for JPEG.
enum WebPDecoder {
    /// A RIFF chunk can be larger, but an orientation tag sits in the first IFD; 64 KB holds it.
    private static let exifCapacity = 65_536

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let input = bytes.bindMemory(to: UInt8.self)
        var info = cimage_info()
        var exif = [UInt8](repeating: 0, count: exifCapacity)
        let image = try decodeInTwoPasses(maxPixels: maxPixels, readHeader: { message in
            let status = exif.withUnsafeMutableBufferPointer { exifBuffer in
                message.withBuffer { text, capacity in
                    cwebp_read_info(input.baseAddress, input.count, &info, exifBuffer.baseAddress, exifBuffer.count, text, capacity)
                }
            }
            return status == Int32(CIMAGE_OK) ? (Int(info.width), Int(info.height)) : nil
        }, decodeRGB: { buffer, capacity, message in
            message.withBuffer { text, textCapacity in
                cwebp_decode_rgb8(input.baseAddress, input.count, buffer, capacity, text, textCapacity)
            } == Int32(CIMAGE_OK)
        })
        // Some writers keep JPEG's "Exif\0\0" prefix in the chunk; the TIFF structure follows it.
        var payload = exif[..<Int(info.exif_length)]
        if payload.starts(with: Array("Exif\0\0".utf8)) { payload = payload.dropFirst(6) }
        return Orientation(exifPayload: payload).apply(to: image)
    }
}
