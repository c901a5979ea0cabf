import Foundation
import Testing

/// `caption batch` with the shipped models, on a folder of 50 good photos and 10 bad files of
/// every kind: each file gets exactly one line, whatever happens to the run (kill -9, Ctrl-C,
/// a file deleted mid-run), and a rerun finishes the file without repeating a line.
@Suite(.serialized) struct BatchCommandTests {
    /// The folder, and the results of one uninterrupted run over it, made once.
    struct Fixture {
        let folder: URL
        let good: [String]
        let bad: [String: String]  // file → the start of its expected error
        let reference: [String: [String: Any]]  // image → its JSON object

        nonisolated(unsafe) static let shared: Fixture? = try? make()

        static func make() throws -> Fixture {
            let folder = try CLI.temporaryDirectory().appendingPathComponent("photos")
            let fm = FileManager.default
            try fm.createDirectory(at: folder.appendingPathComponent("nested/deeper"), withIntermediateDirectories: true)
            var good: [String] = []
            for i in 0..<50 {
                let name = ["", "nested/", "nested/deeper/"][i % 3] + String(format: "photo%02d", i) + (i % 5 == 0 ? ".dat" : ".png")
                let png = PNGWriter.encode(width: 64, height: 48) { x, y in
                    [UInt8((x * 4 + i * 37) % 256), UInt8((y * 5 + i * 11) % 256), UInt8((x + y + i * 53) % 256)]
                }
                try png.write(to: folder.appendingPathComponent(name))
                good.append(name)
            }
            let chelsea = try Data(contentsOf: CLI.repository.appendingPathComponent("examples/chelsea.jpg"))
            let smallPNG = PNGWriter.encode(width: 8, height: 8) { _, _ in [200, 10, 10] }
            var bad: [String: String] = [
                "bad/empty.jpg": "empty file",
                "bad/text.jpg": "not an image (readable formats: JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, AVIF)",
                "bad/truncated.jpg": "cannot decode image",
                "bad/corrupt.jpg": "cannot decode image",
                "bad/truncated.png": "cannot decode image",
                "bad/bomb.png": "image is 60000x60000 pixels",
                "bad/jpeg-named.png": "cannot decode image",
                "bad/dangling.jpg": "cannot read file: No such file",
                "bad/pipe.jpg": "cannot read file: not a regular file",
            ]
            try fm.createDirectory(at: folder.appendingPathComponent("bad"), withIntermediateDirectories: true)
            try Data().write(to: folder.appendingPathComponent("bad/empty.jpg"))
            try Data("this is not a photo\n".utf8).write(to: folder.appendingPathComponent("bad/text.jpg"))
            try chelsea.prefix(chelsea.count / 2).write(to: folder.appendingPathComponent("bad/truncated.jpg"))
            var corrupt = chelsea
            for i in stride(from: 2000, to: corrupt.count - 2, by: 7) { corrupt[i] = 0xFF; corrupt[i + 1] = 0xD9 }
            try corrupt.write(to: folder.appendingPathComponent("bad/corrupt.jpg"))
            try smallPNG.prefix(smallPNG.count - 20).write(to: folder.appendingPathComponent("bad/truncated.png"))
            try PNGWriter.bomb(width: 60000, height: 60000).write(to: folder.appendingPathComponent("bad/bomb.png"))
            try chelsea.prefix(600).write(to: folder.appendingPathComponent("bad/jpeg-named.png"))
            try fm.createSymbolicLink(atPath: folder.appendingPathComponent("bad/dangling.jpg").path,
                                      withDestinationPath: folder.appendingPathComponent("bad/deleted.jpg").path)
            #expect(mkfifo(folder.appendingPathComponent("bad/pipe.jpg").path, 0o644) == 0)
            // A folder that cannot be listed (as root, every folder can: then it is a readable empty one).
            try fm.createDirectory(at: folder.appendingPathComponent("bad/locked"), withIntermediateDirectories: true)
            if geteuid() != 0 {
                chmod(folder.appendingPathComponent("bad/locked").path, 0)
                bad["bad/locked"] = "cannot read folder: Permission denied"
            } else {
                try chelsea.prefix(100).write(to: folder.appendingPathComponent("bad/locked/short.jpg"))
                bad["bad/locked/short.jpg"] = "cannot decode image"
            }
            try Data("notes, not a photo\n".utf8).write(to: folder.appendingPathComponent("README.txt"))  // skipped

            let out = folder.deletingLastPathComponent().appendingPathComponent("reference.jsonl")
            let run = try CLI.run(["batch", folder.path, "--out", out.path])
            guard run.status == 1 else { throw CLIError(run) }
            return Fixture(folder: folder, good: good, bad: bad, reference: try objects(out))
        }

        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    }

    struct CLIError: Error, CustomStringConvertible {
        let result: CLI.Result
        init(_ result: CLI.Result) { self.result = result }
        var description: String { "exit \(result.status): \(result.stderr)" }
    }

    /// Each line of a JSONL file as an object, keyed by image; fails on a repeated image.
    static func objects(_ file: URL) throws -> [String: [String: Any]] {
        var objects: [String: [String: Any]] = [:]
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.isEmpty || text.hasSuffix("\n"))
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let image = try #require(object["image"] as? String)
            #expect(objects.updateValue(object, forKey: image) == nil, "\(image) is listed twice")
        }
        return objects
    }

    static func lineCount(_ file: URL) -> Int {
        (try? Data(contentsOf: file))?.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } ?? 0
    }

    /// The results must be exactly the reference's: 60 lines, right captions, the expected errors.
    func expectComplete(_ objects: [String: [String: Any]], _ fixture: Fixture) {
        #expect(objects.count == fixture.good.count + fixture.bad.count)
        for name in fixture.good {
            let object = objects[fixture.path(name)]
            #expect(object?["caption"] as? String == fixture.reference[fixture.path(name)]?["caption"] as? String, "\(name)")
            #expect(object?["error"] == nil, "\(name)")
        }
        for (name, error) in fixture.bad {
            #expect((objects[fixture.path(name)]?["error"] as? String)?.hasPrefix(error) == true,
                    "\(name): \(objects[fixture.path(name)]?["error"] ?? "missing")")
        }
    }

    /// A `--list` file of the fixture's `names`, in a new temporary folder.
    static func listFile(_ names: [String], _ fixture: Fixture) throws -> (dir: URL, list: URL) {
        let dir = try CLI.temporaryDirectory()
        let list = dir.appendingPathComponent("list.txt")
        try Data(names.map(fixture.path).joined(separator: "\n").utf8).write(to: list)
        return (dir, list)
    }

    /// Starts a batch in the background; stdout and stderr go to files.
    static func start(_ arguments: [String], stderr: URL) throws -> Process {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.currentDirectoryURL = CLI.repository
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        return process
    }

    /// Waits until `file` has at least `lines` lines (or the process ends).
    static func wait(for lines: Int, in file: URL, while process: Process) {
        while process.isRunning && lineCount(file) < lines { usleep(10_000) }
    }

    @Test func referenceRunListsEveryFileOnce() throws {
        let fixture = try #require(Fixture.shared)
        expectComplete(fixture.reference, fixture)
        // Captions are real sentences, and the JSON carries the log-probabilities.
        let first = try #require(fixture.reference[fixture.path(fixture.good[0])])
        #expect((first["caption"] as? String)?.split(separator: " ").count ?? 0 >= 2)
        #expect((first["logprob"] as? Double ?? 0) < 0)
    }

    @Test func killNineThenRerunCompletesWithoutRepeats() throws {
        let fixture = try #require(Fixture.shared)
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("out.jsonl")
        let arguments = ["batch", fixture.folder.path, "--out", out.path, "--batch-size", "2"]
        let process = try Self.start(arguments, stderr: dir.appendingPathComponent("stderr"))
        Self.wait(for: 8, in: out, while: process)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let partial = Self.lineCount(out)
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(partial >= 8 && partial < 60, "the kill came at \(partial) lines")

        let rerun = try CLI.run(arguments)
        #expect(rerun.status == 1, "\(rerun.stderr)")  // the 10 bad files
        #expect(rerun.stderr.contains("\(partial) already in"), "\(rerun.stderr)")
        expectComplete(try Self.objects(out), fixture)
    }

    @Test func ctrlCFinishesTheLineAndExits130() throws {
        let fixture = try #require(Fixture.shared)
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("out.jsonl")
        let stderr = dir.appendingPathComponent("stderr")
        let arguments = ["batch", fixture.folder.path, "--out", out.path, "--batch-size", "2"]
        let process = try Self.start(arguments, stderr: stderr)
        Self.wait(for: 6, in: out, while: process)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let log = try String(contentsOf: stderr, encoding: .utf8)
        #expect(log.contains("interrupted:"), "\(log)")
        let partial = try Self.objects(out)  // whole lines only
        #expect(partial.count < 60)

        let rerun = try CLI.run(arguments)
        #expect(rerun.status == 1)
        expectComplete(try Self.objects(out), fixture)
    }

    /// A file listed, then deleted while the batch runs, is reported, not lost or fatal.
    @Test func fileDeletedAfterListingIsReported() throws {
        let fixture = try #require(Fixture.shared)
        let dir = try CLI.temporaryDirectory()
        let victim = dir.appendingPathComponent("victim.png")
        try FileManager.default.copyItem(atPath: fixture.path(fixture.good[0]), toPath: victim.path)
        let list = dir.appendingPathComponent("list.txt")
        let paths = fixture.good.prefix(12).map(fixture.path) + [victim.path]
        try Data(paths.joined(separator: "\n").utf8).write(to: list)
        let out = dir.appendingPathComponent("out.jsonl")
        let process = try Self.start(["batch", "--list", list.path, "--out", out.path, "--batch-size", "1"],
                                     stderr: dir.appendingPathComponent("stderr"))
        Self.wait(for: 1, in: out, while: process)
        try FileManager.default.removeItem(at: victim)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        let objects = try Self.objects(out)
        #expect(objects.count == 13)
        #expect((objects[victim.path]?["error"] as? String)?.hasPrefix("cannot read file") == true)
    }

    /// Root reads any file, so as root the batch runs as `nobody` (through setpriv) for this one.
    static let dropRoot: [String]? = geteuid() != 0 ? []
        : FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
            ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : nil

    @Test(.enabled(if: dropRoot != nil, "running as root without setpriv"))
    func fileWithoutReadPermissionIsReported() throws {
        let fixture = try #require(Fixture.shared)
        let dir = try CLI.temporaryDirectory()
        chmod(dir.path, 0o777)  // writable by nobody
        try FileManager.default.copyItem(atPath: fixture.path(fixture.good[1]), toPath: dir.appendingPathComponent("open.png").path)
        try FileManager.default.copyItem(atPath: fixture.path(fixture.good[2]), toPath: dir.appendingPathComponent("locked.png").path)
        chmod(dir.appendingPathComponent("locked.png").path, 0)
        let out = dir.appendingPathComponent("out.jsonl")
        let run = try CLI.run(["batch", dir.path, "--out", out.path], launcher: Self.dropRoot!)
        #expect(run.status == 1, "\(run.stderr)")
        let objects = try Self.objects(out)
        #expect(objects.count == 2)
        #expect(objects[dir.appendingPathComponent("locked.png").path]?["error"] as? String == "cannot read file: Permission denied")
        #expect(objects[dir.appendingPathComponent("open.png").path]?["caption"] as? String
                == fixture.reference[fixture.path(fixture.good[1])]?["caption"] as? String)
    }

    @Test func unwritableOutputIsABadUsageError() throws {
        let fixture = try #require(Fixture.shared)
        let notAFolder = fixture.path(fixture.good[0])
        let run = try CLI.run(["batch", fixture.folder.path, "--out", notAFolder + "/out.jsonl"])
        #expect(run.status == 2)
        #expect(run.stderr == "caption: error: \(notAFolder)/out.jsonl: cannot write: Not a directory\n")
        let missing = try CLI.run(["batch", fixture.folder.path + "/missing", "--out", "/tmp/x.jsonl"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("missing: No such file or directory"))
    }

    @Test func usageErrorsExitTwo() throws {
        let noInput = try CLI.run(["batch", "--out", "/tmp/never.jsonl"])
        #expect(noInput.status == 2)
        #expect(noInput.stderr.contains("give a folder or --list FILE"), "\(noInput.stderr)")
        let badShard = try CLI.run(["batch", "examples", "--out", "/tmp/never.jsonl", "--shard", "0/4"])
        #expect(badShard.status == 2)
        #expect(badShard.stderr.contains("shards count from 1"), "\(badShard.stderr)")
        let sameFile = try CLI.run(["batch", "examples", "--out", "/tmp/never.html", "--html", "/tmp/never.html"])
        #expect(sameFile.status == 2)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.jsonl"))
    }

    @Test func shardsCoverTheFolderAndMerge() throws {
        let fixture = try #require(Fixture.shared)
        let dir = try CLI.temporaryDirectory()
        var parts: [String] = []
        for k in 1...2 {
            let part = dir.appendingPathComponent("part-\(k).jsonl").path
            let run = try CLI.run(["batch", fixture.folder.path, "--out", part, "--shard", "\(k)/2"])
            #expect(run.status == 1, "\(run.stderr)")
            parts.append(part)
        }
        let merged = dir.appendingPathComponent("all.jsonl")
        let merge = try CLI.run(["batch", "merge"] + parts + ["--out", merged.path])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stdout.contains("merged 60 images (10 failed) from 2 files"), "\(merge.stdout)")
        expectComplete(try Self.objects(merged), fixture)
        let twice = try CLI.run(["batch", "merge", parts[0], parts[0], "--out", dir.appendingPathComponent("x").path])
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("is also in"))
    }

    @Test func csvAndCocoFormats() throws {
        let fixture = try #require(Fixture.shared)
        let names = Array(fixture.good.prefix(3)) + ["bad/text.jpg"]
        let (dir, list) = try Self.listFile(names, fixture)
        let csv = dir.appendingPathComponent("out.csv")
        let csvRun = try CLI.run(["batch", "--list", list.path, "--out", csv.path, "--format", "csv"])
        #expect(csvRun.status == 1)
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 5)
        #expect(rows[0] == "image,caption,logprob,score,confidence,error")
        let caption = try #require(fixture.reference[fixture.path(names[0])]?["caption"] as? String)
        #expect(rows[1].hasPrefix("\(fixture.path(names[0])),\(caption),-"))
        #expect(rows[4].hasSuffix(",\"not an image (readable formats: JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, AVIF)\""))

        let coco = dir.appendingPathComponent("out.json")
        let cocoRun = try CLI.run(["batch", "--list", list.path, "--out", coco.path, "--format", "coco"])
        #expect(cocoRun.status == 1)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: coco)) as? [[String: Any]])
        #expect(array.count == 3)  // failures are not COCO results
        #expect(array[0]["caption"] as? String == caption)
        #expect(array[0]["image_id"] as? String == "photo00")
        // Rerun: nothing new for the good ones; the failed one is tried again, and the file stays valid JSON.
        let again = try CLI.run(["batch", "--list", list.path, "--out", coco.path, "--format", "coco"])
        #expect(again.status == 1)
        #expect(try (JSONSerialization.jsonObject(with: Data(contentsOf: coco)) as? [Any])?.count == 3)
        // A format switch on the same file is refused rather than mixing formats.
        let mixed = try CLI.run(["batch", "--list", list.path, "--out", coco.path, "--format", "jsonl"])
        #expect(mixed.status == 2)
    }

    @Test func allGoodExitsZeroAndResumeIsANoOp() throws {
        let fixture = try #require(Fixture.shared)
        let (dir, list) = try Self.listFile(Array(fixture.good.prefix(2)), fixture)
        let out = dir.appendingPathComponent("out.jsonl")
        let first = try CLI.run(["batch", "--list", list.path, "--out", out.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.hasPrefix("caption batch: 2 files: 2 captioned, 0 already in"))
        let second = try CLI.run(["batch", "--list", list.path, "--out", out.path])
        #expect(second.status == 0)
        #expect(second.stderr.hasPrefix("caption batch: 2 files: 0 captioned, 2 already in"))
        #expect(Self.lineCount(out) == 2)
        let forced = try CLI.run(["batch", "--list", list.path, "--out", out.path, "--force"])
        #expect(forced.status == 0)
        #expect(Self.lineCount(out) == 2)
    }

    @Test func htmlReportRendersWithoutConsoleErrors() throws {
        let fixture = try #require(Fixture.shared)
        let names = Array(fixture.good.prefix(4)) + ["bad/empty.jpg"]
        let (dir, list) = try Self.listFile(names, fixture)
        let page = dir.appendingPathComponent("report.html")
        let run = try CLI.run(["batch", "--list", list.path, "--out", dir.appendingPathComponent("out.jsonl").path,
                               "--html", page.path, "--n-best", "3"])
        #expect(run.status == 1)
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("\"t\":\"/9j/"))  // thumbnails, as base64 JPEG (FF D8 FF)
        #expect(html.contains("\"e\":\"empty file\""))
        let loaded = try HeadlessChromium.load(page, profile: dir.appendingPathComponent("profile"))
        let dom = loaded.dom
        #expect(loaded.consoleMessages.isEmpty, "console messages:\n\(loaded.consoleMessages.joined(separator: "\n"))")
        #expect(dom.components(separatedBy: "class=\"card\"").count - 1 == 4, "rendered cards")
        #expect(dom.contains("1 file could not be captioned"))
        #expect(dom.contains("data:image/jpeg;base64,/9j/"))
    }

    @Test func theReportEscapesAHostileFileNameEverywhere() throws {
        let fixture = try #require(Fixture.shared)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let hostile = "<img src=x onerror=alert(1)>'.jpg"
        try FileManager.default.copyItem(at: fixture.folder.appendingPathComponent(fixture.good[0]),
                                         to: dir.appendingPathComponent(hostile))
        try Data("not an image".utf8).write(to: dir.appendingPathComponent("<b>bad<i>'.jpg"))
        let page = dir.appendingPathComponent("report.html")
        let run = try CLI.run(["batch", dir.path, "--out", dir.appendingPathComponent("out.jsonl").path, "--html", page.path,
                               "--quiet"])
        #expect(run.status == 1, "\(run.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(!html.contains("<img src=x") && !html.contains("<b>bad"), "raw markup in the page source")
        let loaded = try HeadlessChromium.load(page, profile: dir.appendingPathComponent("profile"))
        #expect(loaded.consoleMessages.isEmpty, "console messages:\n\(loaded.consoleMessages.joined(separator: "\n"))")
        // Rendered as text (the DOM dump escapes it again), never as an element.
        #expect(loaded.dom.contains("&lt;img src=x onerror=alert(1)&gt;'.jpg"), "\(loaded.dom.suffix(3000))")
        #expect(!loaded.dom.contains("<img src=\"x\"") && !loaded.dom.contains("<img src=x"))
        #expect(loaded.dom.contains("&lt;b&gt;bad&lt;i&gt;'.jpg") && !loaded.dom.contains("<b>bad"))
    }
}
