import Foundation
import ImageDecoding
import Testing

/// WebP, GIF, BMP, TIFF, HEIC and AVIF, against Tests/Fixtures/decoding/formats.json (made by
/// scripts/make_format_fixtures.py): lossless files exactly as their source pixels, which Pillow
/// also decodes to; lossy files within 3 of Pillow's decoding; orientation, alpha, animation
/// and multi-page cases; and truncated, corrupt and oversized files as one-line errors.
@Suite struct FormatDecodingTests {
    struct Index: Decodable {
        let images: [String: Fixtures.Expectation]
        let bad: [String: String]
    }

    static let index: Index = {
        let data = try! Fixtures.data("formats.json")
        return try! JSONDecoder().decode(Index.self, from: data)
    }()

    static let images = index.images.keys.sorted()
    static let badFiles = index.bad.keys.sorted()

    @Test(arguments: images)
    func decodesToTheExpectedPixels(_ name: String) throws {
        let entry = try #require(Self.index.images[name])
        let expected = Image(width: entry.width, height: entry.height, pixels: [UInt8](try Fixtures.data(entry.expected)))
        let decoded = try ImageDecoder.decode(Fixtures.data(name))
        try #require(decoded.width == expected.width && decoded.height == expected.height,
                     "\(name): got \(decoded.width)x\(decoded.height), expected \(expected.width)x\(expected.height)")
        let difference = ImageDifference(decoded, expected)
        #expect(difference.largest <= entry.tolerance, "\(name): \(difference)")
    }

    @Test func everyFormatIsCovered() {
        for folder in ["webp", "gif", "bmp", "tiff", "heif", "avif"] {
            #expect(Self.images.contains { $0.hasPrefix("formats/\(folder)/") }, "no \(folder) fixtures")
        }
    }

    @Test(arguments: badFiles)
    func badFileIsOneLineError(_ name: String) throws {
        let failure = try #require(try decodingError(name))
        let kind = try #require(Self.index.bad[name])
        switch (kind, failure) {
        case ("corrupt", .corrupt), ("tooLarge", .tooLarge): break
        default: Issue.record("\(name): expected \(kind), got \(failure)")
        }
        let message = failure.description
        #expect(!message.contains(where: \.isNewline) && !message.isEmpty, "\(name): \(message)")
    }

    /// The limit applies to every format from its header: one pixel less than the image has
    /// is refused, naming the size, before any pixels are decoded.
    @Test(arguments: images)
    func pixelLimitAppliesToEveryFormat(_ name: String) throws {
        let entry = try #require(Self.index.images[name])
        let data = try Fixtures.data(name)
        // The stored size is before orientation; the limit is on the pixel count either way.
        let pixels = entry.width * entry.height
        #expect(try ImageDecoder.decode(data, maxPixels: pixels).pixels.count == pixels * 3)
        let error = #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(data, maxPixels: pixels - 1) }
        guard case let .tooLarge(width, height, limit) = error else {
            Issue.record("\(name): expected .tooLarge, got \(String(describing: error))")
            return
        }
        #expect(width * height == pixels && limit == pixels - 1, "\(name)")
    }

    /// Every prefix of every fixture (in steps, so the suite stays fast) decodes to a valid image
    /// or throws a one-line error; none crashes.
    @Test(arguments: images)
    func everyTruncationDecodesOrThrows(_ name: String) throws {
        let data = try Fixtures.data(name)
        let step = max(1, data.count / 97)
        for length in stride(from: 0, to: data.count, by: step) {
            FuzzRegressionTests.decode(data.prefix(length), "\(name)[..<\(length)]", maxPixels: 4_000_000)
        }
        // Half the file gone must never pass for a picture, except in a file of several pages,
        // whose first page may lie wholly in the first half.
        if name.contains("two_pages") { return }
        let half = FuzzRegressionTests.decode(data.prefix(data.count / 2), "\(name)[half]", maxPixels: 4_000_000)
        if case .success = half { Issue.record("\(name) cut in half decoded") }
    }

    /// Formats are sniffed from content: a WebP named .jpg is a WebP.
    @Test func formatComesFromBytesNotName() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("caption-webp-\(UUID().uuidString).jpg")
        try Fixtures.data("formats/webp/lossless.webp").write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let expected = try Fixtures.data("formats/webp/lossless.rgb")
        #expect(try ImageDecoder.decode(contentsOf: url).pixels == [UInt8](expected))
    }

    /// A folder walk counts every decodable format as an image.
    @Test(arguments: images)
    func folderWalkRecognizesTheFormat(_ name: String) throws {
        let prefix = [UInt8](try Fixtures.data(name).prefix(ImageDecoder.signatureLength))
        #expect(ImageDecoder.recognizes(prefix), "\(name)")
    }
}
