import CImageCodecs

/// Decodes a format through its image library: a `cimage_codec` of the CImageCodecs shim (see
/// cimage_codecs.h for what each reads), into upright RGB8.
///
/// Every format takes the same two passes: the header alone, so the pixel limit is checked
/// before any pixel memory is allocated (a 60-byte file can declare 10 gigapixels), then the
/// pixels straight into the final array, with alpha already over white. The orientation the
/// header gives (an Exif payload for JPEG and WebP, the Orientation tag for TIFF) is applied last.
struct LibraryDecoder: Sendable {
    let codec: cimage_codec
    /// Whether the format can carry an Exif payload, which the header pass then copies out.
    let carriesExif: Bool

    static let jpeg = LibraryDecoder(codec: cimage_jpeg, carriesExif: true)
    static let png = LibraryDecoder(codec: cimage_png, carriesExif: false)
    static let webp = LibraryDecoder(codec: cimage_webp, carriesExif: true)
    static let gif = LibraryDecoder(codec: cimage_gif, carriesExif: false)
    static let tiff = LibraryDecoder(codec: cimage_tiff, carriesExif: false)
    static let heif = LibraryDecoder(codec: cimage_heif, carriesExif: false)

    /// A JPEG APP1 segment holds at most 65,533 bytes; an orientation tag sits in the first IFD
    /// of any longer WebP chunk.
    private static let exifCapacity = 65_536

    func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let input = bytes.bindMemory(to: UInt8.self)
        var message = LibraryMessage()
        var info = cimage_info()
        var exif = [UInt8](repeating: 0, count: carriesExif ? Self.exifCapacity : 0)
        let status = exif.withUnsafeMutableBufferPointer { exif in
            message.withBuffer { text, capacity in
                codec.read_info(input.baseAddress, input.count, &info, exif.baseAddress, exif.count, text, capacity)
            }
        }
        guard status == Int32(CIMAGE_OK) else { throw .corrupt(message.text) }
        let (width, height) = (Int(info.width), Int(info.height))
        let byteCount = try rgbByteCount(width: width, height: height, maxPixels: maxPixels)

        // The library writes every byte, so the array is not zero-filled first; on failure the
        // partly written buffer is dropped.
        var succeeded = false
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initializedCount in
            succeeded = message.withBuffer { text, capacity in
                codec.decode_rgb8(input.baseAddress, input.count, buffer.baseAddress, byteCount, text, capacity)
            } == Int32(CIMAGE_OK)
            initializedCount = succeeded ? byteCount : 0
        }
        guard succeeded else { throw .corrupt(message.text) }

        let image = Image(width: width, height: height, pixels: pixels)
        let exifOrientation = Orientation(exifPayload: exif[..<min(Int(info.exif_length), exif.count)])
        let orientation = exifOrientation != .identity ? exifOrientation : Orientation(rawValue: Int(info.orientation)) ?? .identity
        return orientation.apply(to: image)
    }
}
