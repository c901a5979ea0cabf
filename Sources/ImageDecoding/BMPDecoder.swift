/// Decodes Windows and OS/2 bitmaps (BMP) into RGB8, in Swift: Debian has no BMP library, and
/// the format is a header plus rows, read here with every offset and size checked against the
/// file before use, so a hostile header is an error, never a trap.
///
/// Supported: 1, 4 and 8 bits with a palette (uncompressed, RLE8, RLE4), 16 and 32 bits (5-5-5
/// by default, or any BI_BITFIELDS masks, alpha included), 24 bits; bottom-up and top-down rows;
/// the 12-byte OS/2 header and the 40- to 124-byte Windows headers. A 32-bit BI_RGB file's
/// fourth byte is padding, not alpha, as Windows and Pillow read it. Pixels that RLE skips are
/// palette entry 0. Embedded JPEG or PNG (compression 4 and 5) is refused.
enum BMPDecoder {
    private enum Compression: Int {
        case rgb = 0, rle8 = 1, rle4 = 2, bitfields = 3, alphaBitfields = 6
    }

    /// One channel of a BI_BITFIELDS pixel: `(pixel & mask) >> shift`, scaled to 0…255.
    private struct Channel {
        let mask: UInt32
        let shift: UInt32
        let maximum: UInt32

        init(mask: UInt32) {
            self.mask = mask
            shift = mask == 0 ? 0 : UInt32(mask.trailingZeroBitCount)
            maximum = mask == 0 ? 0 : mask >> shift
        }

        /// round(value * 255 / maximum); `empty` when the mask has no bits.
        func value(_ pixel: UInt32, empty: UInt8) -> UInt8 {
            guard maximum > 0 else { return empty }
            let raw = UInt64((pixel & mask) >> shift)
            return UInt8((raw * 255 + UInt64(maximum) / 2) / UInt64(maximum))
        }
    }

    private struct Header {
        var width = 0
        var height = 0
        var topDown = false
        var bitsPerPixel = 0
        var compression = Compression.rgb
        var palette: [(UInt8, UInt8, UInt8)] = []
        var masks: (red: UInt32, green: UInt32, blue: UInt32, alpha: UInt32) = (0, 0, 0, 0)
        var pixelOffset = 0
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> Image {
        let file = BMPBytes(bytes)
        let header = try readHeader(file)
        let byteCount = try rgbByteCount(width: header.width, height: header.height, maxPixels: maxPixels)
        let pixels: [UInt8]
        switch header.compression {
        case .rle8, .rle4:
            pixels = try decodeRunLength(file, header, byteCount: byteCount)
        case .rgb, .bitfields, .alphaBitfields:
            pixels = try decodeRows(file, header, byteCount: byteCount)
        }
        return Image(width: header.width, height: header.height, pixels: pixels)
    }

    private static func readHeader(_ file: BMPBytes) throws(ImageDecodingError) -> Header {
        var header = Header()
        header.pixelOffset = Int(try file.uint32(at: 10))
        let dibSize = Int(try file.uint32(at: 14))
        let paletteEntrySize: Int
        var compressionCode = 0
        var colorsUsed = 0
        if dibSize == 12 {
            // OS/2 BITMAPCOREHEADER: 16-bit sizes, 3-byte palette entries, never compressed.
            header.width = Int(try file.uint16(at: 18))
            header.height = Int(try file.uint16(at: 20))
            header.bitsPerPixel = Int(try file.uint16(at: 24))
            paletteEntrySize = 3
        } else if dibSize >= 40 && dibSize <= 124 {
            header.width = Int(Int32(bitPattern: try file.uint32(at: 18)))
            let height = Int(Int32(bitPattern: try file.uint32(at: 22)))
            header.topDown = height < 0
            header.height = abs(height)  // Int, so Int32.min is fine
            header.bitsPerPixel = Int(try file.uint16(at: 28))
            compressionCode = Int(try file.uint32(at: 30))
            colorsUsed = Int(try file.uint32(at: 46))
            paletteEntrySize = 4
        } else {
            throw .corrupt("unsupported BMP header (\(dibSize) bytes)")
        }
        guard let compression = Compression(rawValue: compressionCode) else {
            throw .corrupt(compressionCode == 4 || compressionCode == 5
                ? "BMP with embedded JPEG or PNG data is not supported" : "unknown BMP compression \(compressionCode)")
        }
        header.compression = compression
        guard header.width > 0, header.height > 0 else {
            throw .corrupt("image has no pixels (\(header.width)x\(header.height))")
        }
        switch (compression, header.bitsPerPixel) {
        case (.rgb, 1), (.rgb, 4), (.rgb, 8), (.rgb, 16), (.rgb, 24), (.rgb, 32),
             (.rle8, 8), (.rle4, 4), (.bitfields, 16), (.bitfields, 32), (.alphaBitfields, 16), (.alphaBitfields, 32):
            break
        default:
            throw .corrupt("unsupported BMP: \(header.bitsPerPixel) bits per pixel with compression \(compressionCode)")
        }
        guard !(header.topDown && (compression == .rle8 || compression == .rle4)) else {
            throw .corrupt("corrupt BMP: run-length data cannot be top-down")
        }

        // Masks: in the header from version 2 (52 bytes) on, else right after a 40-byte header.
        var paletteStart = 14 + dibSize
        if compression == .bitfields || compression == .alphaBitfields {
            let maskStart = 14 + 40
            let hasAlphaMask = dibSize >= 56 || compression == .alphaBitfields
            header.masks = (try file.uint32(at: maskStart), try file.uint32(at: maskStart + 4),
                            try file.uint32(at: maskStart + 8), hasAlphaMask ? try file.uint32(at: maskStart + 12) : 0)
            if dibSize == 40 { paletteStart += compression == .alphaBitfields ? 16 : 12 }
        } else if header.bitsPerPixel == 16 {
            header.masks = (0x7C00, 0x03E0, 0x001F, 0)  // 5-5-5
        } else if header.bitsPerPixel == 32 {
            header.masks = (0x00FF_0000, 0x0000_FF00, 0x0000_00FF, 0)  // BGRX: the fourth byte is padding
        }

        if header.bitsPerPixel <= 8 {
            let full = 1 << header.bitsPerPixel
            let count = colorsUsed > 0 && colorsUsed < full ? colorsUsed : full
            // A palette may be cut short by the pixel data; use the entries that are there.
            let available = max(0, min(header.pixelOffset, file.count) - paletteStart) / paletteEntrySize
            guard available > 0 else { throw .corrupt("corrupt BMP: the palette is missing") }
            for index in 0..<min(count, available) {
                let entry = paletteStart + index * paletteEntrySize
                header.palette.append((try file.byte(at: entry + 2), try file.byte(at: entry + 1), try file.byte(at: entry)))
            }
        }
        return header
    }

    /// Uncompressed and bit-field rows: each padded to 4 bytes, bottom-up unless `topDown`.
    private static func decodeRows(_ file: BMPBytes, _ header: Header, byteCount: Int) throws(ImageDecodingError) -> [UInt8] {
        let (width, height, bits) = (header.width, header.height, header.bitsPerPixel)
        let rowBytes = (width * bits + 31) / 32 * 4
        let (dataBytes, overflow) = rowBytes.multipliedReportingOverflow(by: height)
        guard !overflow, header.pixelOffset >= 0, header.pixelOffset <= file.count,
              dataBytes <= file.count - header.pixelOffset else {
            throw .corrupt("truncated BMP: the pixel data ends early")
        }
        let palette = header.palette
        let channels = (Channel(mask: header.masks.red), Channel(mask: header.masks.green),
                        Channel(mask: header.masks.blue), Channel(mask: header.masks.alpha))
        let data = file.bytes
        return [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            for row in 0..<height {
                let y = header.topDown ? row : height - 1 - row
                let source = header.pixelOffset + row * rowBytes
                var target = y * width * 3
                for x in 0..<width {
                    let r, g, b: UInt8
                    switch bits {
                    case 24:
                        let p = source + x * 3
                        (b, g, r) = (data[p], data[p + 1], data[p + 2])
                    case 16, 32:
                        let p = source + x * (bits / 8)
                        var pixel = UInt32(data[p]) | UInt32(data[p + 1]) << 8
                        if bits == 32 { pixel |= UInt32(data[p + 2]) << 16 | UInt32(data[p + 3]) << 24 }
                        let alpha = UInt32(channels.3.value(pixel, empty: 255))
                        // Straight alpha over white, the PNG rule.
                        func over(_ c: UInt8) -> UInt8 { UInt8((UInt32(c) * alpha + 255 * (255 - alpha) + 127) / 255) }
                        (r, g, b) = (over(channels.0.value(pixel, empty: 0)), over(channels.1.value(pixel, empty: 0)),
                                     over(channels.2.value(pixel, empty: 0)))
                    default:  // 1, 4, 8: palette indices, most significant bits first
                        let bitOffset = x * bits
                        let byte = data[source + bitOffset / 8]
                        let index = Int(byte >> (8 - bits - bitOffset % 8)) & ((1 << bits) - 1)
                        (r, g, b) = index < palette.count ? palette[index] : (0, 0, 0)
                    }
                    out[target] = r
                    out[target + 1] = g
                    out[target + 2] = b
                    target += 3
                }
            }
            initialized = byteCount
        }
    }

    /// RLE8 / RLE4: runs and literal groups of palette indices, with end-of-line, end-of-bitmap
    /// and delta escapes. Rows run bottom-up.
    private static func decodeRunLength(_ file: BMPBytes, _ header: Header, byteCount: Int) throws(ImageDecodingError) -> [UInt8] {
        let (width, height) = (header.width, header.height)
        let nibbles = header.compression == .rle4
        var indices = [UInt8](repeating: 0, count: width * height)
        var position = header.pixelOffset
        var (x, row) = (0, 0)
        func put(_ index: UInt8) {
            if x < width && row < height { indices[(height - 1 - row) * width + x] = index }
            x += 1
        }
        decoding: while row < height {
            let count = Int(try file.byte(at: position))
            let value = try file.byte(at: position + 1)
            position += 2
            if count > 0 {  // a run: `count` pixels of one index (RLE4: two alternating nibbles)
                for i in 0..<count { put(nibbles ? (i % 2 == 0 ? value >> 4 : value & 0x0F) : value) }
                continue
            }
            switch value {
            case 0: (x, row) = (0, row + 1)  // end of line
            case 1: break decoding  // end of bitmap
            case 2:  // delta: skip right and up
                x += Int(try file.byte(at: position))
                row += Int(try file.byte(at: position + 1))
                position += 2
            default:  // a literal group of `value` indices, padded to 2 bytes
                let literal = Int(value)
                let groupBytes = nibbles ? (literal + 1) / 2 : literal
                for i in 0..<literal {
                    let byte = try file.byte(at: position + (nibbles ? i / 2 : i))
                    put(nibbles ? (i % 2 == 0 ? byte >> 4 : byte & 0x0F) : byte)
                }
                position += (groupBytes + 1) / 2 * 2
            }
            // A hostile file cannot loop forever: every escape advances `position`, which
            // `file.byte` bounds by the file's size.
        }
        let palette = header.palette
        return [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            for (pixel, index) in indices.enumerated() {
                let (r, g, b) = Int(index) < palette.count ? palette[Int(index)] : (0, 0, 0)
                out[pixel * 3] = r
                out[pixel * 3 + 1] = g
                out[pixel * 3 + 2] = b
            }
            initialized = byteCount
        }
    }
}

/// A BMP file's bytes with little-endian reads that throw, instead of trapping, past the end.
private struct BMPBytes {
    let bytes: UnsafeBufferPointer<UInt8>
    var count: Int { bytes.count }

    init(_ raw: UnsafeRawBufferPointer) { bytes = raw.bindMemory(to: UInt8.self) }

    func byte(at offset: Int) throws(ImageDecodingError) -> UInt8 {
        guard offset >= 0, offset < bytes.count else { throw .corrupt("truncated BMP: the data ends early") }
        return bytes[offset]
    }

    func uint16(at offset: Int) throws(ImageDecodingError) -> UInt16 {
        UInt16(try byte(at: offset)) | UInt16(try byte(at: offset + 1)) << 8
    }

    func uint32(at offset: Int) throws(ImageDecodingError) -> UInt32 {
        UInt32(try uint16(at: offset)) | UInt32(try uint16(at: offset + 2)) << 16
    }
}
