import Foundation

/// A tiny captioned-image dataset made on the fly: colored shapes on a plain background,
/// captioned "a red circle on a white background", written in the Flickr8k layout.
enum SyntheticShapes {
    static let colors: [(name: String, rgb: [UInt8])] = [("red", [220, 30, 30]), ("green", [30, 180, 40]), ("blue", [30, 60, 220])]
    static let shapes = ["circle", "square", "triangle"]
    static let backgrounds: [(name: String, rgb: [UInt8])] = [("white", [245, 245, 245]), ("black", [15, 15, 15])]

    static func caption(color: String, shape: String, background: String) -> String {
        "A \(color) \(shape) on a \(background) background."
    }

    /// A held-back photo: its file, its expected caption, and the square the shape lies in
    /// (pixels of the 96 × 96 photo).
    struct HeldBack {
        var file: URL
        var caption: String
        var box: (left: Int, top: Int, right: Int, bottom: Int)
    }

    /// Writes `perCombination` training images of every combination plus one held-back image
    /// each (the dev split), and returns the held-back files with their expected captions. The
    /// held-back size and position lie between training ones, so captioning them interpolates.
    /// Shapes fill most of the photo, near its center; `scattered` draws them small (about a
    /// third of the photo) in one of its four quadrants instead, the quadrant changing with
    /// the copy, so that where the shape is must be looked for.
    static func write(to directory: URL, perCombination: Int, scattered: Bool = false) throws -> [HeldBack] {
        let images = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var tokens = "", train = "", dev = ""
        var heldBack: [HeldBack] = []
        var index = 0
        for color in colors {
            for shape in shapes {
                for background in backgrounds {
                    for copy in 0...perCombination {
                        index += 1
                        let name = "\(index)_\(color.name)_\(shape)_\(background.name).png"
                        let size: Int, centerX: Int, centerY: Int
                        if scattered {
                            size = 30 + (copy * 5) % 8
                            centerX = (copy + index) % 2 == 0 ? 24 + copy % 3 : 72 - copy % 3
                            centerY = ((copy + index) / 2) % 2 == 0 ? 24 + copy % 2 : 72 - copy % 2
                        } else {
                            let offset = (copy * 5) % 12
                            (size, centerX, centerY) = (64 + (copy * 7) % 24, 48 + offset / 2, 48 - offset / 3)
                        }
                        let png = PNGWriter.encode(width: 96, height: 96) { x, y in
                            inside(shape, x: x - centerX, y: y - centerY, size: size) ? color.rgb : background.rgb
                        }
                        try png.write(to: images.appendingPathComponent(name))
                        let text = caption(color: color.name, shape: shape, background: background.name)
                        tokens += "\(name)#0\t\(text)\n"
                        if copy == 1 {
                            dev += name + "\n"
                            heldBack.append(HeldBack(file: images.appendingPathComponent(name), caption: text,
                                                     box: (centerX - size / 2, centerY - size / 2, centerX + size / 2, centerY + size / 2)))
                        } else {
                            train += name + "\n"
                        }
                    }
                }
            }
        }
        try tokens.write(to: directory.appendingPathComponent("Flickr8k.token.txt"), atomically: true, encoding: .utf8)
        try train.write(to: directory.appendingPathComponent("Flickr_8k.trainImages.txt"), atomically: true, encoding: .utf8)
        try dev.write(to: directory.appendingPathComponent("Flickr_8k.devImages.txt"), atomically: true, encoding: .utf8)
        return heldBack
    }

    /// Whether (x, y), relative to the shape's center, is inside a shape `size` pixels across.
    static func inside(_ shape: String, x: Int, y: Int, size: Int) -> Bool {
        let r = size / 2
        switch shape {
        case "circle": return x * x + y * y <= r * r
        case "square": return abs(x) <= r * 4 / 5 && abs(y) <= r * 4 / 5
        default: return y <= r && y >= -r && abs(x) * 2 <= (y + r)  // apex up
        }
    }
}

/// A minimal PNG encoder (8-bit RGB, stored deflate blocks): enough for test images.
enum PNGWriter {
    static func encode(width: Int, height: Int, pixel: (Int, Int) -> [UInt8]) -> Data {
        var raw = [UInt8]()
        for y in 0..<height {
            raw.append(0)  // filter: none
            for x in 0..<width { raw += pixel(x, y) }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let end = min(raw.count, start + 65535)
            let length = end - start
            zlib.append(end == raw.count ? 1 : 0)
            zlib += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            zlib += raw[start..<end]
            start = end
        } while start < raw.count
        zlib += bigEndian(adler32(raw))
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return Data(png)
    }

    /// A decompression bomb: a valid header claiming `width` × `height` pixels and almost no data.
    static func bomb(width: Int, height: Int) -> Data {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
        png += chunk("IDAT", [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01])
        png += chunk("IEND", [])
        return Data(png)
    }

    private static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    private static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }
}
