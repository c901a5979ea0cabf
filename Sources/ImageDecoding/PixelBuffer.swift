/// Allocates an RGB8 buffer of `byteCount` bytes and lets a C decoder write into it.
///
/// The memory is left uninitialised (no zero-fill pass: the decoder writes every byte).
/// `decode` gets the buffer and its size and returns whether it succeeded; on failure the
/// partly written buffer is discarded and nil is returned.
func decodePixels(byteCount: Int, _ decode: (UnsafeMutablePointer<UInt8>, Int) -> Bool) -> [UInt8]? {
    var succeeded = false
    let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initializedCount in
        succeeded = decode(buffer.baseAddress!, byteCount)
        initializedCount = succeeded ? byteCount : 0
    }
    return succeeded ? pixels : nil
}

/// The two passes every library-backed decoder makes: the header alone, so the pixel limit is
/// checked before any pixel memory is allocated (a 60-byte file can declare 10 gigapixels),
/// then the pixels straight into the final array. `readHeader` returns the size, or nil when
/// the library failed; `decodeRGB` fills `capacity` bytes of RGB8 and returns whether it
/// succeeded. Both leave the library's error text in the message.
func decodeInTwoPasses(
    maxPixels: Int,
    readHeader: (inout LibraryMessage) -> (width: Int, height: Int)?,
    decodeRGB: (_ buffer: UnsafeMutablePointer<UInt8>, _ capacity: Int, inout LibraryMessage) -> Bool
) throws(ImageDecodingError) -> Image {
    var message = LibraryMessage()
    guard let (width, height) = readHeader(&message) else { throw .corrupt(message.text) }
    let byteCount = try rgbByteCount(width: width, height: height, maxPixels: maxPixels)
    guard let pixels = decodePixels(byteCount: byteCount, { decodeRGB($0, $1, &message) }) else {
        throw .corrupt(message.text)
    }
    return Image(width: width, height: height, pixels: pixels)
}

/// ``decodeInTwoPasses`` for formats whose header pass also copies out an Exif payload (JPEG's
/// APP1 segment, WebP's EXIF chunk); the orientation it records is applied to the pixels.
/// `readHeader` fills the buffer and returns the payload's length beside the size.
func decodeUprightInTwoPasses(
    maxPixels: Int,
    readHeader: (_ exif: UnsafeMutableBufferPointer<UInt8>, inout LibraryMessage) -> (width: Int, height: Int, exifLength: Int)?,
    decodeRGB: (_ buffer: UnsafeMutablePointer<UInt8>, _ capacity: Int, inout LibraryMessage) -> Bool
) throws(ImageDecodingError) -> Image {
    // A JPEG APP1 segment holds at most 65,533 bytes; an orientation tag sits in the first IFD
    // of any longer WebP chunk.
    var exif = [UInt8](repeating: 0, count: 65_536)
    var exifLength = 0
    let image = try decodeInTwoPasses(maxPixels: maxPixels, readHeader: { message in
        let header = exif.withUnsafeMutableBufferPointer { readHeader($0, &message) }
        exifLength = min(header?.exifLength ?? 0, exif.count)
        return header.map { ($0.width, $0.height) }
    }, decodeRGB: decodeRGB)
    return Orientation(exifPayload: exif[..<exifLength]).apply(to: image)
}
