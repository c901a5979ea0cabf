import CJPEG

/// Decodes JPEG files with libjpeg-turbo (through the CJPEG shim) into upright RGB8.
///
/// Handles baseline, progressive, grayscale, CMYK and YCCK files; the shim converts
/// everything to RGB and turns corrupt-data warnings into errors, so a truncated file fails
/// instead of decoding to a grey smear. EXIF orientation is applied here, after decoding.
enum JPEGDecoder {
    /// An APP1 segment holds at most 65,533 bytes, so this fits any Exif payload.
    private static let exifCapacity = 65_536

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let input = bytes.bindMemory(to: UInt8.self)
        // The header pass also copies out the Exif payload, for the orientation.
        var info = cjpeg_info()
        var exif = [UInt8](repeating: 0, count: exifCapacity)
        let image = try decodeInTwoPasses(maxPixels: maxPixels, readHeader: { message in
            let status = exif.withUnsafeMutableBufferPointer { exifBuffer in
                message.withBuffer { text, capacity in
                    cjpeg_read_info(input.baseAddress, input.count, &info, exifBuffer.baseAddress, exifBuffer.count, text, capacity)
                }
            }
            return status == CJPEG_OK ? (Int(info.width), Int(info.height)) : nil
        }, decodeRGB: { buffer, capacity, message in
            message.withBuffer { text, textCapacity in
                cjpeg_decode_rgb8(input.baseAddress, input.count, buffer, capacity, text, textCapacity)
            } == CJPEG_OK
        })
        let orientation = Orientation(exifPayload: exif[..<Int(info.exif_length)])
        return orientation.apply(to: image)
    }
}
