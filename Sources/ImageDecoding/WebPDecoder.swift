import CImageCodecs

/// Decodes WebP (lossy, lossless, with alpha; the first frame of an animation) with libwebp
/// into upright RGB8. An EXIF chunk's orientation is applied, as for JPEG.
enum WebPDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let input = bytes.bindMemory(to: UInt8.self)
        var info = cimage_info()
        return try decodeUprightInTwoPasses(maxPixels: maxPixels, readHeader: { exif, message in
            let status = message.withBuffer { text, capacity in
                cwebp_read_info(input.baseAddress, input.count, &info, exif.baseAddress, exif.count, text, capacity)
            }
            return status == Int32(CIMAGE_OK) ? (Int(info.width), Int(info.height), Int(info.exif_length)) : nil
        }, decodeRGB: { buffer, capacity, message in
            message.withBuffer { text, textCapacity in
                cwebp_decode_rgb8(input.baseAddress, input.count, buffer, capacity, text, textCapacity)
            } == Int32(CIMAGE_OK)
        })
    }
}
