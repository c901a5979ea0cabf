import CImageCodecs

/// Decodes PNG files with libpng (through the CImageCodecs shim) into RGB8.
///
/// Every colour type and bit depth is accepted, including palettes with transparency and
/// Adam7 interlacing. 16-bit samples are scaled to 8 bits with rounding (round(v / 257),
/// libpng's png_set_scale_16) rather than truncated, and transparent pixels are composited
/// over white because the captioning model expects opaque RGB.
enum PNGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let input = bytes.bindMemory(to: UInt8.self)
        var info = cpng_info()
        return try decodeInTwoPasses(maxPixels: maxPixels, readHeader: { message in
            let status = message.withBuffer { text, capacity in
                cpng_read_info(input.baseAddress, input.count, &info, text, capacity)
            }
            return status == CPNG_OK ? (Int(info.width), Int(info.height)) : nil
        }, decodeRGB: { buffer, capacity, message in
            message.withBuffer { text, textCapacity in
                cpng_decode_rgb8(input.baseAddress, input.count, buffer, capacity, text, textCapacity)
            } == CPNG_OK
        })
    }
}
