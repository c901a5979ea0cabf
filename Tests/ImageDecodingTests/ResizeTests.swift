import Foundation
import ImageDecoding
import Testing

/// `Image.resized`: area averaging when shrinking, bilinear (half-pixel centres) when
/// enlarging, per axis.
@Suite struct ResizeTests {
    /// Deterministic test pattern with detail at every scale.
    private func pattern(width: Int, height: Int) -> Image {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                pixels += [UInt8((x * 37 + y * 11) % 256), UInt8((x * x + 3 * y) % 256), UInt8((x ^ y) * 5 % 256)]
            }
        }
        return Image(width: width, height: height, pixels: pixels)
    }

    @Test func matchesNumpyReference() throws {
        for golden in try Fixtures.index().resize {
            let source = try Fixtures.expected(for: golden.source).image
            let expected = Image(
                width: golden.width, height: golden.height, pixels: [UInt8](try Fixtures.data(golden.expected)))
            let resized = source.resized(width: golden.width, height: golden.height)
            try #require(resized.width == golden.width && resized.height == golden.height)
            let difference = ImageDifference(resized, expected)
            #expect(difference.largest <= 1, "\(golden.width)x\(golden.height): \(difference)")
        }
    }

    @Test(arguments: [(7, 5), (40, 30), (9, 20), (1, 1), (100, 3), (33, 13)])
    func constantImageStaysConstant(_ width: Int, _ height: Int) {
        let constant = Image(width: 17, height: 13, pixels: [UInt8](repeating: 0, count: 17 * 13 * 3).enumerated().map {
            [200, 7, 255][$0.offset % 3]
        })
        let resized = constant.resized(width: width, height: height)
        for pixel in stride(from: 0, to: resized.pixels.count, by: 3) {
            #expect(Array(resized.pixels[pixel..<pixel + 3]) == [200, 7, 255])
        }
    }

    @Test func halvingEqualsTwoByTwoBlockMeans() {
        let source = pattern(width: 24, height: 18)
        let half = source.resized(width: 12, height: 9)
        for y in 0..<9 {
            for x in 0..<12 {
                for channel in 0..<3 {
                    var sum = 0
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        sum += Int(source.pixels[((2 * y + dy) * 24 + 2 * x + dx) * 3 + channel])
                    }
                    let mean = (sum + 2) / 4  // rounded, halves up
                    #expect(Int(half.pixels[(y * 12 + x) * 3 + channel]) == mean, "(\(x), \(y)) channel \(channel)")
                }
            }
        }
    }

    @Test func sameSizeIsUnchanged() {
        let source = pattern(width: 9, height: 4)
        #expect(source.resized(width: 9, height: 4) == source)
    }

    @Test func doublingKeepsCornersAndInterpolatesBetweenCentres() {
        // Enlarging 2x: output pixel 0 sits at input position -0.25 (clamped to 0), output
        // pixel 1 at 0.25, i.e. 3/4 of pixel 0 plus 1/4 of pixel 1.
        let source = Image(width: 2, height: 1, pixels: [0, 100, 200, 200, 0, 100])
        let doubled = source.resized(width: 4, height: 1)
        #expect(doubled.pixels == [0, 100, 200, 50, 75, 175, 150, 25, 125, 200, 0, 100])
    }

    @Test func shrinkingAveragesFractionalCoverage() {
        // 3 -> 2: output 0 covers input [0, 1.5): (a + b/2) / 1.5.
        let source = Image(width: 3, height: 1, pixels: [30, 30, 30, 90, 90, 90, 150, 150, 150])
        let shrunk = source.resized(width: 2, height: 1)
        #expect(shrunk.pixels == [50, 50, 50, 130, 130, 130])
    }
}
