import Foundation
import ImageDecoding
import Testing

/// Broken, hostile or non-image files throw the right ``ImageDecodingError`` with a message
/// that names the problem, and never crash, exit or allocate what a header claims.
@Suite struct BadFileTests {
    @Test func emptyFile() throws {
        let error = try decodingError("bad/empty.jpg")
        #expect(error == .emptyFile)
        #expect(error?.description == "empty file")
    }

    /// The first bytes of files in image formats this build cannot read: named, with how to
    /// convert, and counted as images by a folder walk.
    static let otherFormats: [(name: String, bytes: [UInt8])] = [
        ("JPEG XL", [0xFF, 0x0A, 0xFA, 0x7F, 0x01, 0x90, 0x08]),
        ("JPEG XL", [0, 0, 0, 0x0C] + Array("JXL \r\n".utf8) + [0x87, 0x0A]),
        ("JPEG 2000", [0, 0, 0, 0x0C] + Array("jP  \r\n".utf8) + [0x87, 0x0A]),
        ("JPEG 2000", [0xFF, 0x4F, 0xFF, 0x51, 0, 0x2F]),
        ("PSD", Array("8BPS".utf8) + [0, 1, 0, 0, 0, 0, 0, 0]),
        ("QOI", Array("qoif".utf8) + [0, 0, 0, 1, 0, 0, 0, 1, 3, 0]),
    ]

    @Test(arguments: otherFormats.indices)
    func otherImageFormatsAreNamedNotCalledNonImages(index: Int) {
        let (name, bytes) = Self.otherFormats[index]
        #expect(throws: ImageDecodingError.unsupportedFormat(name)) { try ImageDecoder.decode(bytes) }
        let message = ImageDecodingError.unsupportedFormat(name).description
        #expect(message.hasPrefix("unsupported image format: \(name) (convert it to PNG or JPEG"))
        #expect(ImageDecoder.recognizes(Array(bytes.prefix(ImageDecoder.signatureLength))))
    }

    /// Headers of the formats we read, with nothing after them: the library's error, not
    /// "not an image" or "unsupported".
    static let headersOnly: [[UInt8]] = [
        Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0],
        Array("RIFF".utf8) + [40, 0, 0, 0] + Array("WEBPVP8 ".utf8) + [0, 0, 0, 0],
        [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0, 0, 0],
        [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 0],
        [0, 0, 0, 24] + Array("ftypheic".utf8) + [0, 0, 0, 0],
        [0, 0, 0, 28] + Array("ftypavif".utf8) + [0, 0, 0, 0],
        Array("BM".utf8) + [70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0],
    ]

    @Test(arguments: headersOnly.indices)
    func headerWithoutImageIsCorrupt(index: Int) {
        let error = #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(Self.headersOnly[index]) }
        guard case let .corrupt(message) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(!message.isEmpty && !message.contains(where: \.isNewline), "\(message)")
    }

    @Test func textThatStartsLikeABitmapIsNotOne() {
        #expect(throws: ImageDecodingError.unknownFormat) { try ImageDecoder.decode(Array("BMW cars are fast, and so on".utf8)) }
    }

    @Test func textFileWithJPEGName() throws {
        let error = try decodingError("bad/text.jpg")
        #expect(error == .unknownFormat)
        #expect(error?.description == "not an image (readable formats: JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, AVIF)")
    }

    @Test(arguments: [
        ("bad/jpeg_signature_only.jpg", "Premature end of JPEG file"),
        ("bad/truncated.jpg", "Premature end of JPEG file"),
        ("bad/truncated_progressive.jpg", "Premature end of JPEG file"),
        ("bad/bad_huffman.jpg", "Bogus Huffman table definition"),
        ("bad/truncated.png", "truncated PNG"),
        ("bad/bad_crc.png", "IDAT: CRC error"),
    ])
    func corruptFileReportsLibraryMessage(_ name: String, _ message: String) throws {
        let error = try decodingError(name)
        guard case let .corrupt(text) = error else {
            Issue.record("\(name): expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(text.contains(message), "\(name): \(text)")
        #expect(error?.description == "cannot decode image: \(text)")
        #expect(error?.description.contains("\n") == false)
    }

    @Test(arguments: [
        ("bad/bomb.png", 100_000, 100_000),
        ("bad/bomb.jpg", 65_000, 65_000),
    ])
    func decompressionBombIsRefusedFromItsHeader(_ name: String, _ width: Int, _ height: Int) throws {
        let data = try Fixtures.data(name)
        #expect(data.count < 1_000)
        let clock = ContinuousClock()
        var error: ImageDecodingError?
        let elapsed = clock.measure {
            error = #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(data) }
        }
        #expect(error == .tooLarge(width: width, height: height, limit: ImageDecoder.defaultMaxPixels))
        #expect(error?.description == "image is \(width)x\(height) pixels, more than the limit of 100000000 pixels "
                + "(--max-pixels \(width * height) allows it)")
        #expect(elapsed < .milliseconds(100), "refusing took \(elapsed)")
    }

    @Test func pixelLimitIsInclusive() throws {
        // png/rgb.png is 17 x 13 = 221 pixels.
        let data = try Fixtures.data("png/rgb.png")
        #expect(try ImageDecoder.decode(data, maxPixels: 221).width == 17)
        #expect(throws: ImageDecodingError.tooLarge(width: 17, height: 13, limit: 220)) {
            try ImageDecoder.decode(data, maxPixels: 220)
        }
    }

    @Test func formatComesFromBytesNotName() throws {
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url("misnamed_png.jpg"))
        #expect(image == (try Fixtures.expected(for: "png/rgb.png").image))
    }

    @Test func missingFileIsUnreadable() {
        let error = #expect(throws: ImageDecodingError.self) {
            try ImageDecoder.decode(contentsOf: Fixtures.url("no/such/file.jpg"))
        }
        guard case let .unreadable(reason) = error else {
            Issue.record("expected .unreadable, got \(String(describing: error))")
            return
        }
        #expect(reason.localizedCaseInsensitiveContains("no such file"), "\(reason)")
    }

    @Test func directoryIsUnreadable() {
        let error = #expect(throws: ImageDecodingError.self) {
            try ImageDecoder.decode(contentsOf: Fixtures.directory)
        }
        guard case let .unreadable(reason) = error else {
            Issue.record("expected .unreadable, got \(String(describing: error))")
            return
        }
        #expect(reason.localizedCaseInsensitiveContains("directory"), "\(reason)")
    }

    @Test func indexListsEveryBadFileTested() throws {
        // Keeps this suite and the fixture script in step.
        let tested: Set = [
            "bad/empty.jpg", "bad/text.jpg", "bad/jpeg_signature_only.jpg", "bad/truncated.jpg",
            "bad/truncated_progressive.jpg", "bad/bad_huffman.jpg", "bad/truncated.png",
            "bad/bad_crc.png", "bad/bomb.png", "bad/bomb.jpg",
        ]
        #expect(Set(try Fixtures.index().bad.keys) == tested)
    }
}
