import CPNG

/// Decodes PNG files with libpng (through the CPNG shim) into RGB8.
///
/// Every colour type and bit depth is accepted, including palettes with transparency and
/// Adam7 interlacing. 16-bit samples are scaled to 8 bits with rounding (round(v / 257),
/// libpng's png_set_scale_16) rather than truncated, and transparent pixels are composited
/// over white because the captioning model expects opaque RGB.
enum PNGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let input = bytes.bindMemory(to: UInt8.self)
        var message = LibraryMessage()

        // 1. Header only, so the pixel limit is checked before allocating.
        var info = cpng_info()
        let infoStatus = message.withBuffer { text, capacity in
            cpng_read_info(input.baseAddress, input.count, &info, text, capacity)
        }
        guard infoStatus == CPNG_OK else {
            throw .corrupt(message.text)
        }
        let width = Int(info.width)
        let height = Int(info.height)
        let byteCount = try rgbByteCount(width: width, height: height, maxPixels: maxPixels)

        // 2. Full decode straight into the final array.
        let pixels = decodePixels(byteCount: byteCount) { buffer, capacity in
            message.withBuffer { text, textCapacity in
                cpng_decode_rgb8(input.baseAddress, input.count, buffer, capacity, text, textCapacity)
            } == CPNG_OK
        }
        guard let pixels else {
            throw .corrupt(message.text)
        }
        return Image(width: width, height: height, pixels: pixels)
    }
}
