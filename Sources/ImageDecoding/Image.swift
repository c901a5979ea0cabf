/// A decoded picture as 8-bit RGB.
///
/// Samples are interleaved (R, G, B, R, G, B, ...) and stored row by row from the
/// top-left corner with no padding, so pixel (x, y) starts at `(y * width + x) * 3`.
/// The image is already upright: any EXIF orientation has been applied, and any
/// transparency has been composited over white.
public struct Image: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` samples, 0...255.
    public let pixels: [UInt8]

    /// Wraps existing samples; `pixels.count` must be exactly `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image needs at least one pixel, got \(width)x\(height)")
        precondition(
            pixels.count == width * height * 3,
            "\(width)x\(height) RGB needs \(width * height * 3) samples, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
