import Foundation
import ImageDecoding
import Testing

/// Every PNG variant decodes to exactly the pixels computed in Python: alpha composited
/// over white, 16-bit samples rounded to 8 bits, palettes expanded, Adam7 de-interlaced.
@Suite struct PNGDecodingTests {
    @Test(arguments: [
        "png/gray8.png", "png/gray1.png", "png/gray_alpha.png", "png/rgb.png", "png/rgba.png",
        "png/palette8.png", "png/palette4.png", "png/palette_trns.png", "png/rgb_trns.png",
        "png/gray16.png", "png/rgb16.png", "png/rgba16.png",
        "png/adam7_rgb.png", "png/adam7_rgba16.png", "png/adam7_palette_trns.png",
        "png/ancillary_bad_crc.png",
    ])
    func decodesExactly(_ name: String) throws {
        try expectDecodesAsExpected(name)
    }

    @Test func transparentPixelsBecomeWhiteAndOpaqueOnesKeepTheirColour() throws {
        // png/rgba.png: column 0 has alpha 0, the last column alpha 255.
        let image = try ImageDecoder.decode(Fixtures.data("png/rgba.png"))
        let rgb = try Fixtures.expected(for: "png/rgb.png").image
        for y in 0..<image.height {
            let left = y * image.width * 3
            #expect(Array(image.pixels[left..<left + 3]) == [255, 255, 255])
            let right = (y * image.width + image.width - 1) * 3
            #expect(Array(image.pixels[right..<right + 3]) == Array(rgb.pixels[right..<right + 3]))
        }
    }

    @Test func sixteenBitSamplesAreRoundedNotTruncated() throws {
        // The script puts 3*257+128 at (0, 1) and 3*257+129 at (1, 1): rounding v/257 gives
        // 3 and 4, whereas dropping the low byte would give 3 and 3.
        let image = try ImageDecoder.decode(Fixtures.data("png/gray16.png"))
        let row1 = image.width * 3
        #expect(image.pixels[row1] == 3)
        #expect(image.pixels[row1 + 3] == 4)
    }

    @Test func bytesAndDataGiveTheSameImage() throws {
        let data = try Fixtures.data("png/rgba16.png")
        #expect(try ImageDecoder.decode(data) == ImageDecoder.decode([UInt8](data)))
    }
}
