#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import ImageDecoding
import Testing

/// libjpeg, libpng and libtiff print warnings and errors to stderr by default. The shims must
/// keep them quiet: the CLI owns stderr and prints one line per failed file.
@Suite struct LibraryOutputTests {
    @Test func decodersPrintNothingToStandardError() throws {
        let files = [
            "jpeg/trailing_junk.jpg", "png/ancillary_bad_crc.png", "bad/truncated.jpg",
            "bad/bad_huffman.jpg", "bad/truncated.png", "bad/bad_crc.png", "bad/jpeg_signature_only.jpg",
        ]
        // Every other format's bad files and its variants that make libraries warn (unknown TIFF
        // tags, a GIF frame off its screen, JPEG inside TIFF).
        let formats = FormatDecodingTests.badFiles + [
            "formats/tiff/rgb8_jpeg.tif", "formats/tiff/two_pages.tif", "formats/gif/offset_frame.gif",
            "formats/webp/animated.webp", "formats/heif/irot_6.heic", "formats/avif/alpha.avif",
        ]
        // An AVIF whose AV1 data is empty: dav1d printed "Input validation check ... failed".
        let fuzzed = try Data(contentsOf: FuzzRegressionTests.root.appendingPathComponent(
            "Tests/Fixtures/fuzz/heif/leak-dav1d-empty-av1-data.avif"))
        let inputs = try (files + formats).map { try Fixtures.data($0) } + [fuzzed]
        let captured = try captureStandardError {
            for data in inputs { _ = try? ImageDecoder.decode(data) }
        }
        // Other tests may run concurrently and write to stderr, so look only for the
        // libraries' own wording, outside the test runner's own lines (which name fixtures such
        // as bad/truncated.jpg).
        let runnerMarks: Set<Character> = ["◇", "✔", "✘", "↳", "􀟈", "􀢄", "􁁛", "􀄵"]
        let libraryLines = captured.split(separator: "\n").filter { !runnerMarks.contains($0.first ?? " ") }.joined(separator: "\n")
        for phrase in ["Corrupt JPEG", "Premature end", "Huffman", "libpng", "CRC error", "truncated", "TIFF", "GIF",
                       "WebP", "heif", "dav1d", "de265", "Input validation", "OBU"] {
            #expect(!libraryLines.contains(phrase), "stderr got: \(libraryLines)")
        }
    }

    /// Runs `body` with file descriptor 2 redirected to a temporary file; returns what was written.
    private func captureStandardError(_ body: () throws -> Void) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("stderr-\(UUID().uuidString).txt").path
        let file = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
        try #require(file >= 0)
        defer {
            close(file)
            unlink(path)
        }
        fflush(nil)  // all C streams, stderr included
        let saved = dup(2)
        try #require(saved >= 0)
        dup2(file, 2)
        defer {
            fflush(nil)  // all C streams, stderr included
            dup2(saved, 2)
            close(saved)
        }
        try body()
        fflush(nil)  // all C streams, stderr included
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
