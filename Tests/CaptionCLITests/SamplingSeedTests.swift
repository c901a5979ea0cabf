import Foundation
import Testing

/// `--sample --seed S` gives a photo the same caption from `caption`, `caption batch` and in any
/// position: each photo draws from its own generator seeded by S.
@Suite struct SamplingSeedTests {
    @Test func captionAndBatchSampleTheSameCaptionForAPhoto() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = ["chelsea", "coffee", "rocket"]
        for name in names {
            try FileManager.default.copyItem(at: CLI.fixtures.appendingPathComponent("encoder/\(name).png"),
                                             to: dir.appendingPathComponent("\(name).png"))
        }
        let photo = dir.appendingPathComponent("coffee.png").path
        let alone = try CLI.run(["--sample", "--seed", "7", photo])
        #expect(alone.status == 0, "\(alone.stderr)")
        let out = dir.appendingPathComponent("out.jsonl").path
        let batch = try CLI.run(["batch", dir.path, "--out", out, "--sample", "--seed", "7", "--quiet"])
        #expect(batch.status == 0, "\(batch.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let coffee = try #require(objects.first { ($0["image"] as? String)?.hasSuffix("coffee.png") == true })
        #expect(coffee["caption"] as? String == alone.stdout.trimmingCharacters(in: .newlines))
        // And in the middle of a list of photos.
        let listed = try CLI.run(["--sample", "--seed", "7"] + names.map { dir.appendingPathComponent("\($0).png").path })
        #expect(listed.stdout.split(separator: "\n")[1] + "\n" == alone.stdout)
        let other = try CLI.run(["--sample", "--seed", "8", photo])
        #expect(other.stdout != alone.stdout, "another seed, another caption")
    }
}
