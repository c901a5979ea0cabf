import CImageCodecs

/// Decodes JPEG files with libjpeg-turbo (through the CImageCodecs shim) into upright RGB8.
///
/// Handles baseline, progressive, grayscale, CMYK and YCCK files; the shim converts
/// everything to RGB and turns corrupt-data warnings into errors, so a truncated file fails
/// instead of decoding to a grey smear. EXIF orientation is applied after decoding.
enum JPEGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let input = bytes.bindMemory(to: UInt8.self)
        var info = cjpeg_info()
        return try decodeUprightInTwoPasses(maxPixels: maxPixels, readHeader: { exif, message in
            let status = message.withBuffer { text, capacity in
                cjpeg_read_info(input.baseAddress, input.count, &info, exif.baseAddress, exif.count, text, capacity)
            }
            return status == CJPEG_OK ? (Int(info.width), Int(info.height), Int(info.exif_length)) : nil
        }, decodeRGB: { buffer, capacity, message in
            message.withBuffer { text, textCapacity in
                cjpeg_decode_rgb8(input.baseAddress, input.count, buffer, capacity, text, textCapacity)
            } == CJPEG_OK
        })
    }
}
