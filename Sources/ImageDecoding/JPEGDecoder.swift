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
        var message = LibraryMessage()

        // 1. Header only: size and Exif, so the pixel limit is checked before allocating.
        var info = cjpeg_info()
        var exif = [UInt8](repeating: 0, count: exifCapacity)
        let infoStatus = exif.withUnsafeMutableBufferPointer { exifBuffer in
            message.withBuffer { text, capacity in
                cjpeg_read_info(
                    input.baseAddress, input.count, &info,
                    exifBuffer.baseAddress, exifBuffer.count, text, capacity)
            }
        }
        guard infoStatus == CJPEG_OK else {
            throw .corrupt(message.text)
        }
        let width = Int(info.width)
        let height = Int(info.height)
        let byteCount = try rgbByteCount(width: width, height: height, maxPixels: maxPixels)

        // 2. Full decode straight into the final array.
        let pixels = decodePixels(byteCount: byteCount) { buffer, capacity in
            message.withBuffer { text, textCapacity in
                cjpeg_decode_rgb8(input.baseAddress, input.count, buffer, capacity, text, textCapacity)
            } == CJPEG_OK
        }
        guard let pixels else {
            throw .corrupt(message.text)
        }

        let orientation = Orientation(exifPayload: exif[..<Int(info.exif_length)])
        return orientation.apply(to: Image(width: width, height: height, pixels: pixels))
    }
}
