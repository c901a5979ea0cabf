import Foundation
import Testing

/// `caption features DIR --shard K/N --cache …` and `caption features merge` as a cluster user
/// runs them: the shards split the files as `caption batch --shard` does, an interrupted shard
/// resumes, and the merged cache holds exactly the features one unsharded run makes, which
/// both trainers then read without encoding anything again.
@Suite struct FeatureShardingTests {
    static let headerSize = 40, recordSize = 32 + 512 * 4 + 14 * 14 * 512 * 2

    /// Every record of a cache file, key → feature bytes, parsed here rather than by the library.
    static func records(_ path: String) throws -> [Data: Data] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.prefix(8) == Data("CAPFEAT3".utf8))
        #expect((data.count - headerSize) % recordSize == 0, "\(path) is not whole records")
        var records: [Data: Data] = [:]
        for offset in stride(from: headerSize, to: data.count, by: recordSize) {
            records[data.subdata(in: offset..<(offset + 32))] = data.subdata(in: (offset + 32)..<(offset + recordSize))
        }
        return records
    }

    static func size(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? -1
    }

    /// The files a run reported on stderr (`caption: error: <file>: <reason>`), in order.
    static func reportedFiles(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("caption: error: ") else { return nil }
            let rest = line.dropFirst("caption: error: ".count)
            return rest.range(of: ": ").map { String(rest[..<$0.lowerBound]) }
        }
    }

    @Test func twoShardsMergedEqualOneRunAndTrainingReadsTheMerge() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticShapes.write(to: dir, perCombination: 0)  // 18 photos, all in the train split…
        let splits = (dev: dir.appendingPathComponent("Flickr_8k.devImages.txt"), train: dir.appendingPathComponent("Flickr_8k.trainImages.txt"))
        try FileManager.default.removeItem(at: splits.dev)
        try FileManager.default.copyItem(at: splits.train, to: splits.dev)  // …and the dev split, for the trainers
        let images = dir.appendingPathComponent("images")
        // The same photo at more paths: shards split by path, so copies land in both parts.
        let original = try #require(try FileManager.default.contentsOfDirectory(atPath: images.path).sorted().first)
        for copy in ["copy-a.png", "copy-b.png", "copy-c.png"] {
            try FileManager.default.copyItem(at: images.appendingPathComponent(original), to: images.appendingPathComponent(copy))
        }
        let cache = { (name: String) in dir.appendingPathComponent(name).path }

        let whole = try CLI.run(["features", images.path, "--cache", cache("whole.features")])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.stdout == "\(cache("whole.features")): 18 added, 3 already cached, 0 failed; 18 images in the cache\n")

        var parts: [String] = []
        for k in 1...2 {
            let part = cache("part-\(k).features")
            let run = try CLI.run(["features", images.path, "--shard", "\(k)/2", "--cache", part, "--quiet"])
            #expect(run.status == 0, "\(run.stderr)")
            parts.append(part)
        }
        let keys = try parts.map { Set(try Self.records($0).keys) }
        #expect(keys[0].count + keys[1].count == 19, "the copies must fall in both shards: \(keys.map(\.count))")

        // A shard killed while writing its last record resumes where it stopped.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: parts[0]))
        try handle.truncate(atOffset: UInt64(try Self.size(parts[0]) - 1000))
        try handle.close()
        let resumed = try CLI.run(["features", images.path, "--shard", "1/2", "--cache", parts[0]])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains(": 1 added, "), "\(resumed.stdout)")
        #expect(Set(try Self.records(parts[0]).keys) == keys[0])

        let merged = cache("all.features")
        let merge = try CLI.run(["features", "merge"] + parts + ["--out", merged])
        #expect(merge.status == 0, "\(merge.stderr)")
        let lines = merge.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == "\(parts[0])\t\(keys[0].count)" && lines[1] == "\(parts[1])\t\(keys[1].count)")
        #expect(lines[2].hasPrefix("merged 18 images from 2 files into \(merged) (1 photo in more than one part, kept once); "
                                   + "encoder weights sha256 "), "\(lines[2])")
        #expect(try Self.records(merged) == (try Self.records(cache("whole.features"))), "merged features differ from one run's")

        // Both trainers read the merged cache; nothing is missing from it, so nothing is encoded.
        let size = try Self.size(merged)
        let common = ["--data", dir.path, "--cache", merged, "--epochs", "1", "--batch-size", "9",
                      "--min-count", "1", "--hidden-size", "16", "--quiet"]
        let captioner = try CLI.run(["train", "captioner", "--out", cache("captioner"), "--embedding-size", "16"] + common)
        #expect(captioner.status == 0, "\(captioner.stderr)")
        #expect(captioner.stdout.contains("epoch 1 "), "\(captioner.stdout)")
        let aligner = try CLI.run(["train", "aligner", "--out", cache("aligner"), "--word-size", "16"] + common)
        #expect(aligner.status == 0, "\(aligner.stderr)")
        #expect(aligner.stdout.contains("epoch 1 "), "\(aligner.stdout)")
        #expect(try Self.size(merged) == size)
    }

    /// Files that are named like photos but are not: each run reports the files of its shard
    /// without encoding any, so the split can be checked on many files quickly.
    @Test func shardsPartitionTheFolderAsCaptionBatchDoes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var all: [String] = []
        for i in 0..<30 {
            let folder = dir.appendingPathComponent("photos/\(["a", "b", "c"][i % 3])")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("photo\(i).jpg")
            try Data("not a photo \(i)".utf8).write(to: file)
            all.append(file.path)
        }
        try Data("hidden".utf8).write(to: dir.appendingPathComponent("photos/.hidden.jpg"))
        let root = dir.appendingPathComponent("photos").path

        let everything = try CLI.run(["features", root])
        #expect(everything.status == 1)
        #expect(Set(Self.reportedFiles(everything.stderr)) == Set(all), "\(everything.stderr)")
        for n in [2, 3] {
            var seen: [String] = []
            for k in 1...n {
                let run = try CLI.run(["features", root, "--shard", "\(k)/\(n)"])
                let files = Self.reportedFiles(run.stderr)
                #expect(run.status == (files.isEmpty ? 0 : 1))
                #expect(!files.isEmpty && files.count < 30, "shard \(k)/\(n) has \(files.count) of 30 files")
                seen += files
            }
            #expect(seen.count == Set(seen).count, "shards of \(n) overlap")
            #expect(Set(seen) == Set(all), "shards of \(n) miss files")
        }

        // The same split from a list, and from caption batch.
        let shard = try CLI.run(["features", root, "--shard", "2/3"])
        let list = dir.appendingPathComponent("list.txt")
        try all.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
        let listed = try CLI.run(["features", "--list", list.path, "--shard", "2/3"])
        #expect(Set(Self.reportedFiles(listed.stderr)) == Set(Self.reportedFiles(shard.stderr)))
        let out = dir.appendingPathComponent("batch.jsonl")
        let batch = try CLI.run(["batch", root, "--out", out.path, "--shard", "2/3", "--quiet"])
        #expect(batch.status == 1, "\(batch.stderr)")
        let batchFiles = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").compactMap { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["image"] as? String
        }
        #expect(Set(batchFiles) == Set(Self.reportedFiles(shard.stderr)))
    }

    @Test func badShardsListsAndInputsAreOneUsageLine() throws {
        let photo = CLI.fixtures.appendingPathComponent("encoder/chelsea.png").path
        for bad in ["0/2", "3/2", "x", "2/0", "1/2/3"] {
            let run = try CLI.run(["features", "examples", "--shard", bad])
            #expect(run.status == 2, "\(bad)")
            #expect(run.stderr.hasPrefix("caption: error: --shard: ") && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }
        let zero = try CLI.run(["features", "examples", "--shard", "0/2"])
        #expect(zero.stderr == "caption: error: --shard: shard 0 is not in 1…2 (shards count from 1: --shard 1/2 … 2/2)\n")

        let missingList = try CLI.run(["features", "--list", "/nonexistent/list.txt", "--cache", "/tmp/never.features"])
        #expect(missingList.status == 2)
        #expect(missingList.stderr == "caption: error: /nonexistent/list.txt: cannot read the list of files\n")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.features"))

        let usage: [([String], String)] = [
            (["features"], "give at least one image, a folder, or --list FILE"),
            (["features", photo, "--list", "list.txt"], "give photos or a folder, or --list FILE, not both"),
            (["features", "examples", photo], "examples: a folder must be the only argument"),
            (["features", "-", "--shard", "1/2"], "--shard splits files by path, so it cannot take - (stdin)"),
            (["features", "merge", "--out", "x.features"], "give the shards' feature caches to merge"),
        ]
        for (arguments, message) in usage {
            let run = try CLI.run(arguments)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("caption: error: ") && run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }

    @Test func mergeErrorsNameTheFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = CLI.fixtures.appendingPathComponent("decoding/bad/text.jpg").path
        let out = dir.appendingPathComponent("all.features").path
        let notACache = try CLI.run(["features", "merge", text, "--out", out])
        #expect(notACache.status == 1)
        #expect(notACache.stderr == "caption: error: \(text): not a caption feature cache (bad magic)\n")
        #expect(!FileManager.default.fileExists(atPath: out))

        let part = dir.appendingPathComponent("part.features")
        try (Data("CAPFEAT3".utf8) + Data(repeating: 1, count: 32)).write(to: part)
        let overInput = try CLI.run(["features", "merge", part.path, "--out", dir.path + "/./part.features"])
        #expect(overInput.status == 2)
        #expect(overInput.stderr == "caption: error: \(dir.path)/./part.features: is also an input (\(part.path)); write the merge to a new file\n")
    }

    /// A cache made with other weights takes nothing from these: one line naming both.
    @Test func aCacheOfOtherWeightsIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("other.features")
        let header = Data("CAPFEAT3".utf8) + Data(repeating: 1, count: 32)
        try header.write(to: cache)
        let photo = CLI.fixtures.appendingPathComponent("encoder/chelsea.png").path
        let run = try CLI.run(["features", photo, "--cache", cache.path])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("caption: error: \(cache.path): made with other encoder weights (sha256 010101010101…) than "),
                "\(run.stderr)")
        #expect(run.stderr.hasSuffix("give another --cache file for these weights, or --weights with the ones it was made with\n"))
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(try Data(contentsOf: cache) == header)
    }

    @Test func helpShowsShardingAndMerge() throws {
        let group = try CLI.run(["features", "--help"], environment: ["COLUMNS": "100"])
        #expect(group.status == 0)
        #expect(group.stdout == """
            OVERVIEW: Print or save the VGG16 encoder's features; join sharded feature caches.

            `caption features IMAGE…` runs `extract`, the default; `caption help features extract` lists its
            options. A photo literally named merge or extract must be written ./merge.

            Examples:
              caption features examples/chelsea.jpg --json
              caption features photos/ --cache photos.features
              caption features photos/ --shard 3/8 --cache part-3.features
              caption features merge part-*.features --out photos.features

            USAGE: caption features <subcommand>

            OPTIONS:
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              extract (default)       Print or save the VGG16 encoder's features for photos, a folder or a list.
              merge                   Join the feature caches of sharded runs into one, checking them.

              See 'caption help features <subcommand>' for detailed help.

            """)
        let extract = try CLI.run(["help", "features", "extract"], environment: ["COLUMNS": "100"])
        #expect(extract.stdout.contains("--shard <K/N>") && extract.stdout.contains("--list <file>"))
        #expect(extract.stdout.contains("caption features merge part-*.features --out all.features"))
    }
}
