import Application
import Foundation
import Testing

@Suite struct ImageFileListTests {
    static let jpegBytes = Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10])
    static let pngBytes = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0])

    /// A tree with images under odd names, non-images, hidden files, a link loop and a FIFO.
    static func makeTree() throws -> String {
        let root = try ResultFileTests.temporaryPath("tree")
        let fm = FileManager.default
        for dir in ["b", "a/deep", ".hidden"] {
            try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        try jpegBytes.write(to: URL(fileURLWithPath: root + "/b/photo.jpg"))
        try pngBytes.write(to: URL(fileURLWithPath: root + "/a/deep/picture.dat"))  // a PNG, whatever the name
        try jpegBytes.write(to: URL(fileURLWithPath: root + "/a/no-extension"))
        try Data("hello".utf8).write(to: URL(fileURLWithPath: root + "/a/readme.txt"))
        try Data("not really".utf8).write(to: URL(fileURLWithPath: root + "/a/fake.png"))  // reported, not skipped
        try Data().write(to: URL(fileURLWithPath: root + "/a/empty.jpg"))
        try jpegBytes.write(to: URL(fileURLWithPath: root + "/.hidden/secret.jpg"))
        try jpegBytes.write(to: URL(fileURLWithPath: root + "/.dotfile.jpg"))
        try fm.createSymbolicLink(atPath: root + "/a/deep/loop", withDestinationPath: "../..")
        try fm.createSymbolicLink(atPath: root + "/b/gone.jpg", withDestinationPath: root + "/nowhere.jpg")
        #expect(mkfifo(root + "/b/pipe.jpg", 0o644) == 0)
        return root
    }

    @Test func walkFindsImagesByContentInStableOrder() throws {
        let root = try Self.makeTree()
        let list = try ImageFileList.walk(root)
        let relative = list.entries.map { String($0.path.dropFirst(root.count + 1)) }
        #expect(relative == ["a/deep/picture.dat", "a/empty.jpg", "a/fake.png", "a/no-extension",
                             "b/gone.jpg", "b/photo.jpg", "b/pipe.jpg"])
        #expect(list.entries.first { $0.path.hasSuffix("pipe.jpg") }?.problem == "cannot read file: not a regular file")
        #expect(list.entries.first { $0.path.hasSuffix("gone.jpg") }?.problem?.hasPrefix("cannot read file: No such file") == true)
        #expect(list.entries.filter { $0.problem == nil }.count == 5)
        #expect(list.skippedNotImages == 1)  // readme.txt
        #expect(list.skippedHidden == 2)
        // The loop link is followed once: nothing is listed twice.
        #expect(Set(list.entries.map(\.path)).count == list.entries.count)
    }

    @Test func trailingSlashGivesTheSamePaths() throws {
        let root = try Self.makeTree()
        #expect(try ImageFileList.walk(root + "//").entries == ImageFileList.walk(root).entries)
    }

    @Test func hiddenFilesOnRequest() throws {
        let root = try Self.makeTree()
        let list = try ImageFileList.walk(root, includeHidden: true)
        #expect(list.entries.contains { $0.path.hasSuffix(".hidden/secret.jpg") })
        #expect(list.entries.contains { $0.path.hasSuffix("/.dotfile.jpg") })
    }

    @Test func walkRefusesFilesAndMissingFolders() throws {
        let root = try Self.makeTree()
        #expect(throws: BatchInputError.notADirectory(root + "/b/photo.jpg")) { try ImageFileList.walk(root + "/b/photo.jpg") }
        #expect(throws: BatchInputError.self) { try ImageFileList.walk(root + "/missing") }
    }

    @Test func listKeepsOrderDropsRepeatsAndFlagsNonFiles() throws {
        let root = try Self.makeTree()
        let text = "\(root)/b/photo.jpg\n\n\(root)/a\n\(root)/b/photo.jpg\r\n\(root)/missing.jpg\n"
        let list = ImageFileList.read(listing: text)
        #expect(list.entries.map(\.path) == ["\(root)/b/photo.jpg", "\(root)/a", "\(root)/missing.jpg"])
        #expect(list.entries.map { $0.problem == nil } == [true, false, false])
    }
}

@Suite struct ShardTests {
    @Test func shardsPartitionTheFiles() throws {
        let paths = (0..<1000).map { "photos/\($0 % 17)/IMG_\($0).jpg" }
        var seen = Set<String>()
        for k in 1...4 {
            let shard = try Shard(index: k, count: 4)
            let mine = paths.filter(shard.contains)
            #expect(mine.count > 200 && mine.count < 300, "shard \(k) has \(mine.count) of 1000")
            for path in mine { #expect(seen.insert(path).inserted) }
        }
        #expect(seen.count == paths.count)
    }

    /// The hash is fixed forever: a shard chosen today must be the same on another machine tomorrow.
    @Test func hashIsStable() {
        #expect(Shard.hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(Shard.hash("a") == 0xaf63_dc4c_8601_ec8c)  // FNV-1a 64 reference value
    }

    @Test func parsing() throws {
        #expect(try Shard(parsing: "3/8") == Shard(index: 3, count: 8))
        for bad in ["0/4", "5/4", "1/0", "a/b", "3", "1/2/3", ""] {
            #expect(throws: ShardError.self) { try Shard(parsing: bad) }
        }
    }
}
