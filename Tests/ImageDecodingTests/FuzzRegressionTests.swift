import Foundation
import ImageDecoding
import Testing

/// The fuzzers' findings and seeds, replayed on every test run (README, "Fuzzing").
///
/// `Tests/Fixtures/fuzz/{jpeg,png}` holds the reproducers the fuzz targets found (`crash-*`,
/// `oom-*`, `timeout-*`, minimized) and the hostile files from scripts/make_fuzz_fixtures.py;
/// `Fuzz/corpus/{jpeg,png}` is the committed seed corpus. Every file, and every truncation of
/// every seed, must decode to a valid image or throw a one-line error: never crash or hang.
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ImageDecodingTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The files of a folder under the repository root, by name.
    static func files(_ folder: String) throws -> [(name: String, data: Data)] {
        let directory = root.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            ($0, try Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }

    /// The limit the fuzz targets use, and the product's default.
    static let limits = [4_000_000, ImageDecoder.defaultMaxPixels]

    /// Decodes `data`; an error must be an ``ImageDecodingError`` whose message is one line.
    @discardableResult
    static func decode(_ data: Data, _ name: String, maxPixels: Int) -> Result<Image, ImageDecodingError> {
        let result = Result { () throws(ImageDecodingError) in try ImageDecoder.decode(data, maxPixels: maxPixels) }
        switch result {
        case .success(let image):
            #expect(image.width * image.height <= maxPixels, "\(name)")
            #expect(image.pixels.count == image.width * image.height * 3, "\(name)")
        case .failure(let error):
            let isOneLine = !error.description.contains(where: \.isNewline)
            #expect(isOneLine, "\(name): \(error)")
        }
        return result
    }

    @Test(arguments: ["jpeg", "png"])
    func reproducersAndHostileFilesDecodeOrThrow(_ format: String) throws {
        let files = try Self.files("Tests/Fixtures/fuzz/\(format)")
        #expect(files.count >= 10)
        for (name, data) in files {
            for limit in Self.limits {
                Self.decode(data, name, maxPixels: limit)
            }
        }
    }

    /// The targets of the formats added later: seeds are the decoding fixtures, and findings,
    /// when a run has found any, sit in Tests/Fixtures/fuzz/<format>.
    static let laterFormats = ["webp", "gif", "bmp", "tiff", "heif"]

    @Test(arguments: laterFormats)
    func laterFormatsFindingsDecodeOrThrow(_ format: String) throws {
        let folder = Self.root.appendingPathComponent("Tests/Fixtures/fuzz/\(format)")
        guard FileManager.default.fileExists(atPath: folder.path) else { return }
        for (name, data) in try Self.files("Tests/Fixtures/fuzz/\(format)") {
            for limit in Self.limits {
                Self.decode(data, name, maxPixels: limit)
            }
        }
    }

    @Test(arguments: ["jpeg", "png"] + laterFormats)
    func seedCorpusDecodes(_ format: String) throws {
        let files = try Self.files("Fuzz/corpus/\(format)")
        #expect(files.count >= 4)
        for (name, data) in files {
            #expect(throws: Never.self, "\(name)") { try ImageDecoder.decode(data, maxPixels: 4_000_000) }
        }
    }

    /// Every strict prefix of every seed is refused: a file cut short never decodes to a
    /// partly grey picture (libjpeg's and libpng's "premature end" are errors here).
    @Test(arguments: ["jpeg", "png"])
    func everyTruncationOfEverySeedThrows(_ format: String) throws {
        for (name, data) in try Self.files("Fuzz/corpus/\(format)") {
            for length in 0 ..< data.count {
                let result = Self.decode(data.prefix(length), "\(name)[..<\(length)]", maxPixels: 4_000_000)
                if case .success = result {
                    Issue.record("\(name) cut to \(length) of \(data.count) bytes decoded")
                }
            }
        }
    }

    /// libpng allocated a whole ancillary chunk before reading it, and a length past its 8 MB
    /// chunk limit is only a warning: a 62-byte file declaring a 788 MB eXIf chunk made it
    /// malloc 788 MB (found by FuzzPNG; the same for zTXt, sPLT, tEXt, iTXt up to 2 GB). Those
    /// chunks are now skipped unread, so the file fails as truncated. The allocation itself is
    /// only visible under the fuzzer's malloc limit; here the outcome is checked.
    @Test(arguments: [
        "oom-d360d631-exif-chunk-788mb.png", "eXIf_declares_2gb.png", "zTXt_declares_2gb.png",
        "iCCP_declares_2gb.png", "sPLT_declares_2gb.png", "tEXt_declares_2gb.png", "iTXt_declares_2gb.png",
    ])
    func hugeAncillaryChunkIsSkippedNotAllocated(_ name: String) throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/fuzz/png/\(name)"))
        #expect(data.count < 100)
        guard case .failure(.corrupt(let message)) = Self.decode(data, name, maxPixels: 4_000_000) else {
            Issue.record("\(name): expected .corrupt")
            return
        }
        #expect(message.contains("truncated"), "\(name): \(message)")
    }

    @Test(arguments: [
        ("jpeg/sof_65500x65500.jpg", 65_500, 65_500),
        ("png/ihdr_1000000x1000000.png", 1_000_000, 1_000_000),
    ])
    func hugeHeaderIsRefusedBeforeDecoding(_ name: String, _ width: Int, _ height: Int) throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/fuzz/\(name)"))
        for limit in Self.limits {
            #expect(throws: ImageDecodingError.tooLarge(width: width, height: height, limit: limit)) {
                try ImageDecoder.decode(data, maxPixels: limit)
            }
        }
    }

    /// Every scan of a progressive JPEG visits every block, but a few bytes code a scan of
    /// thousands of blocks: 694 valid scans of a flat 10000 x 10000 image (300 KB) took 31 s.
    /// More than 100 scans are refused, which bounds the work to 100 passes.
    @Test func progressiveScanBombIsRefused() throws {
        let limit = try Data(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/fuzz/jpeg/progressive_100_scans_8x8.jpg"))
        #expect(try ImageDecoder.decode(limit).width == 8)
        for name in ["progressive_101_scans_8x8.jpg", "progressive_694_scans_2000x2000.jpg"] {
            let data = try Data(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/fuzz/jpeg/\(name)"))
            #expect(throws: ImageDecodingError.corrupt("JPEG file has more than 100 scans"), "\(name)") {
                try ImageDecoder.decode(data)
            }
        }
    }

    /// Broken Exif metadata never stops a picture from decoding: it is read as "upright".
    @Test(arguments: [
        "exif_ifd_offset_past_end.jpg", "exif_65535_entries.jpg", "exif_orientation_9.jpg",
        "exif_orientation_ascii.jpg", "exif_header_only.jpg", "exif_ifd_offset_zero.jpg",
    ])
    func brokenExifDecodesUpright(_ name: String) throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/fuzz/jpeg/\(name)"))
        let baseline = try ImageDecoder.decode(Data(contentsOf: Self.root.appendingPathComponent("Fuzz/corpus/jpeg/baseline.jpg")))
        #expect(try ImageDecoder.decode(data) == baseline, "\(name)")
    }
}
