import Foundation
import ImageDecoding
import Testing

/// Pages embed JPEG and PNG files as they are, and every other format as a JPEG of the decoded
/// picture, which any browser shows (TIFF and HEIC are shown by none).
@Suite struct PagePhotoTests {
    @Test(arguments: [("png/rgb.png", "image/png"), ("jpeg/baseline.jpg", "image/jpeg")])
    func jpegAndPNGAreEmbeddedAsTheyAre(_ name: String, _ mimeType: String) throws {
        let bytes = try Fixtures.data(name)
        let shown = try PagePhoto.embeddable(bytes, decoded: try ImageDecoder.decode(bytes))
        #expect(shown.bytes == bytes && shown.mimeType == mimeType)
    }

    @Test(arguments: ["formats/tiff/orientation_6.tif", "formats/heif/photo_q90.heic", "formats/webp/exif_orientation_8.webp",
                      "formats/bmp/rgb24.bmp", "formats/avif/alpha.avif"])
    func otherFormatsBecomeAJPEGOfTheUprightPicture(_ name: String) throws {
        let decoded = try ImageDecoder.decode(Fixtures.data(name))
        let shown = try PagePhoto.embeddable(try Fixtures.data(name), decoded: decoded)
        #expect(shown.mimeType == "image/jpeg")
        let reread = try ImageDecoder.decode(shown.bytes)
        #expect(reread.width == decoded.width && reread.height == decoded.height, "\(name)")
        let difference = ImageDifference(reread, decoded)
        let meanIsClose = zip(reread.pixels, decoded.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) } < 12 * decoded.pixels.count
        #expect(meanIsClose, "\(name): \(difference)")
    }
}
