import Foundation
import ImageDecoding
import Testing

/// EXIF orientation 1-8 (odd ones little-endian "II", even ones big-endian "MM") is
/// applied, so the decoded image is what a viewer shows.
@Suite struct OrientationTests {
    @Test(arguments: 1...8)
    func matchesPythonReference(_ orientation: Int) throws {
        try expectDecodesAsExpected("jpeg/exif_orientation_\(orientation).jpg")
    }

    /// All eight files hold the same compressed pixels, so each must equal orientation 1
    /// transformed by the EXIF definition, exactly. `source(x, y)` gives, for a pixel of the
    /// upright image, its position in the stored 17 x 13 image.
    @Test(arguments: 1...8)
    func equalsStoredImageTransformed(_ orientation: Int) throws {
        let stored = try ImageDecoder.decode(Fixtures.data("jpeg/exif_orientation_1.jpg"))
        let upright = try ImageDecoder.decode(Fixtures.data("jpeg/exif_orientation_\(orientation).jpg"))
        let (w, h) = (stored.width, stored.height)
        let source: (Int, Int) -> (Int, Int) =
            switch orientation {
            case 1: { x, y in (x, y) }
            case 2: { x, y in (w - 1 - x, y) }  // mirrored left-right
            case 3: { x, y in (w - 1 - x, h - 1 - y) }  // upside down
            case 4: { x, y in (x, h - 1 - y) }  // mirrored top-bottom
            case 5: { x, y in (y, x) }  // transposed
            case 6: { x, y in (y, h - 1 - x) }  // camera turned: rotate 90° clockwise
            case 7: { x, y in (w - 1 - y, h - 1 - x) }  // transverse
            default: { x, y in (w - 1 - y, x) }  // rotate 90° counter-clockwise
            }
        let swapsAxes = orientation >= 5
        #expect(upright.width == (swapsAxes ? h : w))
        #expect(upright.height == (swapsAxes ? w : h))
        var mismatches = 0
        for y in 0..<upright.height {
            for x in 0..<upright.width {
                let (sx, sy) = source(x, y)
                let from = (sy * w + sx) * 3
                let to = (y * upright.width + x) * 3
                if upright.pixels[to..<to + 3] != stored.pixels[from..<from + 3] { mismatches += 1 }
            }
        }
        #expect(mismatches == 0, "orientation \(orientation): \(mismatches) pixels misplaced")
    }

    @Test func rotatedImageHasWhiteCornerWhereExpected() throws {
        // The stored image has a white block in its top-left corner; after a 90° clockwise
        // rotation (orientation 6) it sits in the top-right corner.
        let image = try ImageDecoder.decode(Fixtures.data("jpeg/exif_orientation_6.jpg"))
        let topRight = (image.width - 1) * 3
        let topLeft = 0
        #expect(image.pixels[topRight..<topRight + 3].allSatisfy { $0 >= 240 })
        #expect(!image.pixels[topLeft..<topLeft + 3].allSatisfy { $0 >= 240 })
    }
}
