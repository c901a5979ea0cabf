import Foundation
import Testing

/// `caption features` (and the default `caption IMAGE`) as a user runs it: output per file in
/// order, one-line errors naming the file, exit status 1 when any file failed.
@Suite struct FeaturesCommandTests {
    static let photo = CLI.fixtures.appendingPathComponent("encoder/chelsea.png").path
    static let bad: [(file: String, reason: String)] = [
        ("decoding/bad/empty.jpg", "empty file"),
        ("decoding/bad/text.jpg", "not an image (readable formats: JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, AVIF)"),
        ("decoding/bad/truncated.jpg", "cannot decode image"),
        ("decoding/bad/truncated.png", "cannot decode image"),
        ("decoding/bad/bad_crc.png", "cannot decode image"),
        ("decoding/bad/bomb.png", "more than the limit"),
        ("decoding/bad/bad_huffman.jpg", "cannot decode image"),
    ]

    @Test func summaryLineForAPhoto() throws {
        let result = try CLI.run(["features", Self.photo])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("\(Self.photo)  224×224  vector[512] mean ") == true)
        #expect(result.stderr.isEmpty)
    }

    @Test func everyBadFileGetsOneErrorLineAndGoodFilesStillPrint() throws {
        let files = Self.bad.map { CLI.fixtures.appendingPathComponent($0.file).path }
        let result = try CLI.run(["features", files[0], Self.photo] + files.dropFirst() + [Self.photo])
        #expect(result.status == 1)
        #expect(result.stdout.split(separator: "\n").count == 2, "good files must still produce output")
        let errors = result.stderr.split(separator: "\n").map(String.init)
        #expect(errors.count == Self.bad.count, "\(result.stderr)")
        for (line, bad) in zip(errors, Self.bad) {
            let file = CLI.fixtures.appendingPathComponent(bad.file).path
            #expect(line.hasPrefix("caption: error: \(file): "), "\(line)")
            #expect(line.contains(bad.reason), "\(line) should say '\(bad.reason)'")
        }
    }

    @Test func missingFileIsAnError() throws {
        let result = try CLI.run(["features", "/nonexistent/photo.jpg"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("caption: error: /nonexistent/photo.jpg: "))
    }

    @Test func maxPixelsRefusesLargeImages() throws {
        let result = try CLI.run(["features", "--max-pixels", "1000", Self.photo])
        #expect(result.status == 1)
        #expect(result.stderr.contains("more than the limit of 1000 pixels"), "\(result.stderr)")
    }

    @Test func readsStdin() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.photo))
        let result = try CLI.run(["features", "-"], stdin: data)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("-  224×224  vector[512]"))
    }

    @Test func jsonHasTheVector() throws {
        let result = try CLI.run(["features", "--json", Self.photo])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["image"] as? String == Self.photo)
        #expect((object?["vector"] as? [Double])?.count == 512)
        #expect(object?["width"] as? Int == 224)
    }

    @Test func outWritesSafetensorsAndNoHalfFileOnFailure() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("features.safetensors").path
        let result = try CLI.run(["features", Self.photo, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        // 8-byte header length, JSON header naming both tensors, then 512 + 7·7·512 float32 values.
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.contains("\(Self.photo).vector") && header.contains("\(Self.photo).pool5"))
        #expect(data.count == 8 + headerLength + (512 + 7 * 7 * 512) * 4)

        let unwritable = dir.appendingPathComponent("missing-dir/features.safetensors").path
        let failed = try CLI.run(["features", Self.photo, "--out", unwritable])
        #expect(failed.status == 1)
        #expect(failed.stderr.hasPrefix("caption: error: \(unwritable): "))
        #expect(!FileManager.default.fileExists(atPath: unwritable))
    }

    @Test func usageErrorsExitWithStatus2() throws {
        let noImages = try CLI.run(["features"])
        #expect(noImages.status == 2)
        let both = try CLI.run(["features", "--json", "--out", "x.safetensors", Self.photo])
        #expect(both.status == 2)
        #expect(both.stderr.contains("--json, --out and --cache are alternatives"))
        let badLimit = try CLI.run(["features", "--max-pixels", "0", Self.photo])
        #expect(badLimit.status == 2)
    }

    @Test func missingWeightsFileIsOneClearLine() throws {
        let result = try CLI.run(["features", "--weights", "/nonexistent/vgg16.safetensors", Self.photo])
        #expect(result.status == 1)
        #expect(result.stderr == "caption: error: /nonexistent/vgg16.safetensors: VGG16 weights not found; run scripts/setup (or caption import-weights FILE.onnx)\n")
    }
}
