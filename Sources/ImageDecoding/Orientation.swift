/// The EXIF orientation tag (0x0112): how a stored JPEG, WebP or TIFF must be flipped or rotated to
/// look upright. Cameras write pixels in sensor order and record the rotation here rather
/// than rotating the data, so ignoring it gives sideways captions.
enum Orientation: Int {
    case identity = 1
    case mirrorHorizontal = 2
    case rotate180 = 3
    case mirrorVertical = 4
    case transpose = 5  // mirror across the top-left / bottom-right diagonal
    case rotate90Clockwise = 6
    case transverse = 7  // mirror across the top-right / bottom-left diagonal
    case rotate90CounterClockwise = 8

    private static let orientationTag = 0x0112
    private static let typeShort = 3
    private static let typeLong = 4

    /// Reads the orientation from an Exif payload: the TIFF structure, after JPEG's "Exif\0\0"
    /// prefix when there is one (some WebP writers keep it in their EXIF chunk). Anything
    /// missing, malformed or out of range means `.identity`: broken metadata should not stop
    /// the picture from decoding.
    init(exifPayload: ArraySlice<UInt8>) {
        let prefix = Array("Exif\0\0".utf8)
        let tiff = exifPayload.starts(with: prefix) ? exifPayload.dropFirst(prefix.count) : exifPayload
        self = Self.parse(Array(tiff)) ?? .identity
    }

    private static func parse(_ tiff: [UInt8]) -> Orientation? {
        guard tiff.count >= 8 else { return nil }
        let bigEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x4D, 0x4D): bigEndian = true  // "MM", Motorola
        case (0x49, 0x49): bigEndian = false  // "II", Intel
        default: return nil
        }
        // Reads an unsigned integer of `size` bytes at `offset`, nil when out of bounds.
        func integer(at offset: Int, size: Int) -> Int? {
            guard offset >= 0, offset <= tiff.count - size else { return nil }
            var value = 0
            for i in 0..<size {
                let byte = Int(tiff[offset + (bigEndian ? i : size - 1 - i)])
                value = value << 8 | byte
            }
            return value
        }
        guard integer(at: 2, size: 2) == 42,
            let ifd0 = integer(at: 4, size: 4),
            let entryCount = integer(at: ifd0, size: 2)
        else { return nil }

        // IFD0 entries are 12 bytes: tag (2), type (2), count (4), value or offset (4).
        // A single SHORT/LONG value sits in the first bytes of the value field.
        for index in 0..<entryCount {
            let entry = ifd0 + 2 + index * 12
            guard let tag = integer(at: entry, size: 2), let type = integer(at: entry + 2, size: 2)
            else { return nil }
            guard tag == orientationTag else { continue }
            switch type {
            case typeShort: return integer(at: entry + 8, size: 2).flatMap(Orientation.init(rawValue:))
            case typeLong: return integer(at: entry + 8, size: 4).flatMap(Orientation.init(rawValue:))
            default: return nil
            }
        }
        return nil
    }

    /// Whether the upright image has width and height swapped.
    private var swapsAxes: Bool { rawValue >= 5 }

    /// Where output pixel (x, y) comes from in a stored image of `width` x `height`.
    private func source(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .identity: (x, y)
        case .mirrorHorizontal: (width - 1 - x, y)
        case .rotate180: (width - 1 - x, height - 1 - y)
        case .mirrorVertical: (x, height - 1 - y)
        case .transpose: (y, x)
        case .rotate90Clockwise: (y, height - 1 - x)
        case .transverse: (width - 1 - y, height - 1 - x)
        case .rotate90CounterClockwise: (width - 1 - y, x)
        }
    }

    /// The upright version of a stored image.
    func apply(to image: Image) -> Image {
        if self == .identity { return image }
        let (width, height) = (image.width, image.height)
        let outputWidth = swapsAxes ? height : width
        let outputHeight = swapsAxes ? width : height

        // `source` is affine in (x, y), so the source pixel index is
        // origin + x * stepX + y * stepY: no per-pixel switch in the copy loop.
        func pixelIndex(_ point: (x: Int, y: Int)) -> Int { point.y * width + point.x }
        let origin = pixelIndex(source(x: 0, y: 0, width: width, height: height))
        let stepX = pixelIndex(source(x: 1, y: 0, width: width, height: height)) - origin
        let stepY = pixelIndex(source(x: 0, y: 1, width: width, height: height)) - origin

        let pixels = [UInt8](unsafeUninitializedCapacity: image.pixels.count) { output, initializedCount in
            image.pixels.withUnsafeBufferPointer { input in
                var outputIndex = 0
                for y in 0..<outputHeight {
                    var sourcePixel = origin + y * stepY
                    for _ in 0..<outputWidth {
                        let sourceIndex = sourcePixel * 3
                        output[outputIndex] = input[sourceIndex]
                        output[outputIndex + 1] = input[sourceIndex + 1]
                        output[outputIndex + 2] = input[sourceIndex + 2]
                        outputIndex += 3
                        sourcePixel += stepX
                    }
                }
            }
            initializedCount = image.pixels.count
        }
        return Image(width: outputWidth, height: outputHeight, pixels: pixels)
    }
}
