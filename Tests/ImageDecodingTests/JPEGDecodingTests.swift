import Foundation
import ImageDecoding
import Testing

/// Every JPEG variant decodes to the pixels Pillow's libjpeg produced, within ±2 per
/// channel (IDCT rounding may differ between libjpeg builds).
@Suite struct JPEGDecodingTests {
    @Test(arguments: [
        "jpeg/baseline.jpg", "jpeg/baseline444.jpg", "jpeg/progressive.jpg", "jpeg/gray.jpg",
        "jpeg/cmyk_adobe.jpg", "jpeg/cmyk_plain.jpg", "jpeg/ycck_adobe.jpg", "jpeg/trailing_junk.jpg",
    ])
    func decodesWithinTolerance(_ name: String) throws {
        try expectDecodesAsExpected(name)
    }

    @Test func grayscaleIsReplicatedToRGB() throws {
        let image = try ImageDecoder.decode(Fixtures.data("jpeg/gray.jpg"))
        for pixel in stride(from: 0, to: image.pixels.count, by: 3) {
            #expect(image.pixels[pixel] == image.pixels[pixel + 1])
            #expect(image.pixels[pixel] == image.pixels[pixel + 2])
        }
    }

    @Test func adobeMarkerDecidesWhetherCMYKIsInverted() throws {
        // Same scan data, with and without the Adobe APP14 marker: reading one as the other
        // would turn dark ink into light colours, so the two must decode very differently.
        let adobe = try ImageDecoder.decode(Fixtures.data("jpeg/cmyk_adobe.jpg"))
        let plain = try ImageDecoder.decode(Fixtures.data("jpeg/cmyk_plain.jpg"))
        #expect(ImageDifference(adobe, plain).largest > 100)
        // (0, 0) has no ink at all in the source, so the Adobe file shows white there.
        #expect(adobe.pixels[0] >= 250 && adobe.pixels[1] >= 250 && adobe.pixels[2] >= 250)
    }
}
