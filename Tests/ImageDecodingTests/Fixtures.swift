import Foundation
import ImageDecoding
import Testing

/// Tests/Fixtures/decoding, made by scripts/make_decoder_fixtures.py. `index.json` lists,
/// for every good image, its size and the raw RGB8 file holding the pixels the decoder
/// must produce (computed independently in Python/numpy).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ImageDecodingTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/decoding")

    struct Expectation: Decodable {
        let width: Int
        let height: Int
        let expected: String
        let tolerance: Int
    }

    struct ResizeGolden: Decodable {
        let source: String
        let width: Int
        let height: Int
        let expected: String
    }

    struct PhotoSample: Decodable {
        let x: Int
        let y: Int
        let rgb: [Int]
    }

    struct Photo: Decodable {
        let file: String
        let width: Int
        let height: Int
        let samples: [PhotoSample]
        let tolerance: Int
    }

    struct Index: Decodable {
        let images: [String: Expectation]
        let resize: [ResizeGolden]
        let bad: [String: String]
        let photo: Photo
    }

    static func url(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: url(name))
    }

    static func index() throws -> Index {
        try JSONDecoder().decode(Index.self, from: data("index.json"))
    }

    /// The image the decoder must produce for fixture `name`, and the allowed difference.
    static func expected(for name: String) throws -> (image: Image, tolerance: Int) {
        let entry = try #require(try index().images[name], "\(name) missing from index.json")
        let pixels = [UInt8](try data(entry.expected))
        try #require(pixels.count == entry.width * entry.height * 3)
        return (Image(width: entry.width, height: entry.height, pixels: pixels), entry.tolerance)
    }
}

/// The largest per-channel difference between two same-sized images, and where it is.
struct ImageDifference: CustomStringConvertible {
    let largest: Int
    let x: Int
    let y: Int

    init(_ actual: Image, _ expected: Image) {
        precondition(actual.width == expected.width && actual.height == expected.height)
        var largest = 0
        var at = 0
        for i in actual.pixels.indices {
            let difference = abs(Int(actual.pixels[i]) - Int(expected.pixels[i]))
            if difference > largest {
                largest = difference
                at = i / 3
            }
        }
        self.largest = largest
        self.x = at % actual.width
        self.y = at / actual.width
    }

    var description: String { "largest channel difference \(largest) at (\(x), \(y))" }
}
