import Application
import Foundation
import Testing

/// The results file must survive anything a crash can leave and resume without repeats.
@Suite struct ResultFileTests {
    static func temporaryPath(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("batch-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    static let records: [BatchRecord] = [
        BatchRecord(image: "a/1.jpg", candidates: [
            .init(caption: "a dog runs", logprob: -3.25, score: -1.5, wordLogprobs: [-1, -1, -1, -0.25]),
            .init(caption: "a dog, \"running\"", logprob: -4, score: -2, wordLogprobs: [-1, -1, -2]),
        ], confidence: 0.5),
        BatchRecord(image: "a/2,\"odd\"\nname.png", error: "cannot decode image: Premature end of JPEG file"),
        BatchRecord(image: "b/COCO_val2014_000000391895.jpg", candidates: [
            .init(caption: "a man rides a bike", logprob: -5, score: -2.5, wordLogprobs: [-1, -1, -1, -1, -1]),
        ]),
    ]

    @Test(arguments: ResultFormat.allCases)
    func appendsAndReadsBack(format: ResultFormat) throws {
        let path = try Self.temporaryPath("out.\(format.rawValue)")
        let file = try ResultFile(path: path, format: format)
        #expect(file.earlier.isEmpty)
        try file.append(Self.records)
        try file.finish()
        let reopened = try ResultFile(path: path, format: format)
        let expected = format == .coco ? Self.records.filter { !$0.failed } : Self.records
        #expect(reopened.earlier.map(\.image) == expected.map(\.image))
        #expect(reopened.earlier.map(\.caption) == expected.map(\.caption))
        if format == .jsonl { #expect(reopened.earlier == Self.records) }
        if format == .coco {
            try reopened.finish()
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]]
            #expect(json?.count == 2)
            #expect(json?.last?["image_id"] as? Int == 391895)
            #expect(json?.first?["image_id"] as? Int == 1)
        }
    }

    /// A line torn by a crash is cut, and appending goes on from the last whole line.
    @Test(arguments: ResultFormat.allCases)
    func tornLastLineIsCut(format: ResultFormat) throws {
        let path = try Self.temporaryPath("out")
        do {  // a run that dies after one result: the file is closed without its ending
            let file = try ResultFile(path: path, format: format)
            try file.append(Array(Self.records.prefix(1)))
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data((format == .csv ? "\"x/half,a ca" : format == .coco ? ",{\"image_id\":3,\"cap" : "{\"image\":\"x/half\",\"cap").utf8))
        try handle.close()
        let resumed = try ResultFile(path: path, format: format)
        #expect(resumed.earlier.map(\.image) == ["a/1.jpg"])
        try resumed.append([Self.records[2]])
        try resumed.finish()
        let again = try ResultFile(path: path, format: format)
        #expect(again.earlier.map(\.image) == ["a/1.jpg", "b/COCO_val2014_000000391895.jpg"])
    }

    @Test func otherContentIsRefused() throws {
        let path = try Self.temporaryPath("notes.txt")
        try Data("shopping list\nmilk\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ResultFileError.self) { try ResultFile(path: path, format: .jsonl) }
        #expect(throws: ResultFileError.self) { try ResultFile(path: path, format: .csv) }
        // --force replaces it.
        let forced = try ResultFile(path: path, format: .jsonl, force: true)
        #expect(forced.earlier.isEmpty)
    }

    @Test func secondWriterIsRefused() throws {
        let path = try Self.temporaryPath("out.jsonl")
        let first = try ResultFile(path: path, format: .jsonl)
        #expect(throws: ResultFileError.self) { try ResultFile(path: path, format: .jsonl) }
        withExtendedLifetime(first) {}
    }

    @Test func unwritablePathsAreErrors() throws {
        let file = try Self.temporaryPath("plain")
        try Data().write(to: URL(fileURLWithPath: file))
        #expect(throws: ResultFileError.self) { try ResultFile(path: file + "/out.jsonl", format: .jsonl) }
        #expect(throws: ResultFileError.self) { try ResultFile(path: "/dev/null", format: .jsonl) }
    }

    @Test func fullDiskIsReported() throws {
        // /dev/full accepts open() and fails every write with ENOSPC; it is not a regular file,
        // so the result file refuses it up front.
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        #expect(throws: ResultFileError.unwritable("/dev/full", "not a regular file")) {
            try ResultFile(path: "/dev/full", format: .jsonl)
        }
    }
}

@Suite struct ResultMergeTests {
    @Test func mergesShardsSortedAndRefusesDuplicates() throws {
        let a = try ResultFileTests.temporaryPath("a.jsonl"), b = try ResultFileTests.temporaryPath("b.jsonl")
        let fileA = try ResultFile(path: a, format: .jsonl)
        try fileA.append([ResultFileTests.records[2], ResultFileTests.records[1]])
        try fileA.finish()
        let fileB = try ResultFile(path: b, format: .jsonl)
        try fileB.append([ResultFileTests.records[0]])
        try fileB.finish()
        let merge = try ResultMerge(files: [a, b])
        #expect(merge.counts == [2, 1])
        #expect(merge.records.map(\.image) == ResultFileTests.records.map(\.image))
        #expect(merge.format == .jsonl)
        #expect(throws: ResultMergeError.self) { try ResultMerge(files: [a, b, a]) }
    }

    @Test func refusesTornOrUnfinishedShards() throws {
        let torn = try ResultFileTests.temporaryPath("torn.jsonl")
        try Data((ResultFileTests.records[0].jsonLine + "\n{\"image\":\"b").utf8).write(to: URL(fileURLWithPath: torn))
        #expect(throws: ResultMergeError.self) { try ResultMerge(files: [torn]) }
        let coco = try ResultFileTests.temporaryPath("open.json")
        let file = try ResultFile(path: coco, format: .coco)
        try file.append([ResultFileTests.records[0]])  // no finish(): no closing bracket
        #expect(throws: ResultMergeError.self) { try ResultMerge(files: [coco]) }
    }
}
