import Foundation
import ImageDecoding
import Testing

/// A photo-sized JPEG decodes to the expected pixels. (Speed is measured by `caption bench`,
/// not asserted in tests.)
@Suite struct PhotoDecodingTests {
    @Test func photoDecodesCorrectly() throws {
        let photo = try Fixtures.index().photo
        let image = try ImageDecoder.decode(Fixtures.data(photo.file))
        #expect(image.width == photo.width && image.height == photo.height)
        for sample in photo.samples {
            let offset = (sample.y * image.width + sample.x) * 3
            for channel in 0..<3 {
                let difference = abs(Int(image.pixels[offset + channel]) - sample.rgb[channel])
                #expect(difference <= photo.tolerance, "(\(sample.x), \(sample.y)) channel \(channel)")
            }
        }
    }
}
