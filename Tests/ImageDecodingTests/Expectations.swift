import Foundation
import ImageDecoding
import Testing

/// Decodes fixture `name` and checks it against its stored expected pixels.
func expectDecodesAsExpected(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let (expected, tolerance) = try Fixtures.expected(for: name)
    let decoded = try ImageDecoder.decode(Fixtures.data(name))
    try #require(
        decoded.width == expected.width && decoded.height == expected.height,
        "\(name): got \(decoded.width)x\(decoded.height), expected \(expected.width)x\(expected.height)",
        sourceLocation: sourceLocation)
    let difference = ImageDifference(decoded, expected)
    #expect(difference.largest <= tolerance, "\(name): \(difference)", sourceLocation: sourceLocation)
}

/// The error decoding fixture `name` throws (records a failure if it decodes).
func decodingError(_ name: String, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> ImageDecodingError? {
    let data = try Fixtures.data(name)
    return #expect(throws: ImageDecodingError.self, "\(name) should not decode") {
        try ImageDecoder.decode(data, maxPixels: maxPixels)
    }
}
