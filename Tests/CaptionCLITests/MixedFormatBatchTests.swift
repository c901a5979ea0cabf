import Foundation
import Testing

/// `caption batch` over a folder of every format: each image file, readable or not, gets exactly
/// one line (a caption, or an error naming the problem), and only files that are not images
/// are skipped, and counted.
@Suite struct MixedFormatBatchTests {
    @Test func everyPhotoIsCaptionedOrGetsAnErrorLine() throws {
        let fm = FileManager.default
        let folder = try CLI.temporaryDirectory().appendingPathComponent("mixed")
        let source = CLI.fixtures.appendingPathComponent("decoding/formats")
        try fm.copyItem(at: source, to: folder)
        // A known format this build cannot read, a text file and the fixtures' raw .rgb files
        // (not images: skipped).
        try Data([0xFF, 0x0A, 0xFA, 0x7F, 0x01, 0x90, 0x08]).write(to: folder.appendingPathComponent("photo.jxl"))
        try Data("shopping list\n".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let files = try fm.subpathsOfDirectory(atPath: folder.path).filter {
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: folder.appendingPathComponent($0).path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let images = Set(files.filter { !$0.hasSuffix(".rgb") && $0 != "notes.txt" })
        let good = images.filter { !$0.hasPrefix("bad/") && $0 != "photo.jxl" }
        #expect(good.count >= 30 && images.count - good.count >= 10)

        let out = folder.deletingLastPathComponent().appendingPathComponent("mixed.jsonl")
        let run = try CLI.run(["batch", folder.path, "--out", out.path])
        #expect(run.status == 1, "failures make the exit status 1: \(run.stderr)")
        var seen: [String: [String: Any]] = [:]
        for line in try String(contentsOf: out, encoding: .utf8).split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let path = try #require(object["image"] as? String)
            let name = String(path.dropFirst(folder.path.count + 1))
            #expect(seen[name] == nil, "\(name) has two lines")
            seen[name] = object
        }
        #expect(Set(seen.keys) == images, "missing: \(images.subtracting(seen.keys)); extra: \(Set(seen.keys).subtracting(images))")
        for name in good {
            let caption = seen[name]?["caption"] as? String
            #expect(caption?.isEmpty == false, "\(name): \(String(describing: seen[name]))")
        }
        for name in images.subtracting(good) {
            let error = seen[name]?["error"] as? String
            #expect(error?.isEmpty == false && error?.contains("\n") == false, "\(name): \(String(describing: seen[name]))")
        }
        #expect((seen["photo.jxl"]?["error"] as? String)?.hasPrefix("unsupported image format: JPEG XL") == true)
        let skipped = files.count - images.count
        #expect(run.stderr.contains("skipped files: \(skipped) not images"), "\(run.stderr)")
    }
}
