import Foundation
import Tensors
import Testing
import Datasets
import Encoder

/// `FeatureCacheMerge` on small synthetic caches written through `FeatureCache`: what a merge
/// keeps, what it refuses (each refusal naming the file to fix), and that a failed merge leaves
/// no output, half-written or otherwise.
@Suite struct FeatureCacheMergeTests {
    static let weights = EncoderWeightsDigest(bytes: [UInt8](repeating: 7, count: 32))
    static let otherWeights = EncoderWeightsDigest(bytes: [UInt8](repeating: 9, count: 32))
    static let headerSize = 40, recordSize = 32 + 512 * 4 + 14 * 14 * 512 * 2

    static func key(_ byte: UInt8) -> Data { Data(repeating: byte, count: 32) }

    /// Features that conv5_3 could hold (finite, ≥ 0) and that float16 stores exactly.
    static func features(_ seed: Float) -> EncoderFeatures {
        let conv5 = Tensor(shape: [14, 14, 512], data: (0..<(14 * 14 * 512)).map { Float($0 % 100) * seed })
        return EncoderFeatures(vector: (0..<512).map { Float($0 % 64) * seed }, pool5: Pooling.maxPool2x2(conv5), conv5: conv5)
    }

    /// A cache at `dir/name` holding `(key byte, feature seed)` records.
    static func part(_ name: String, in dir: URL, weights: EncoderWeightsDigest = weights,
                     _ records: [(key: UInt8, seed: Float)]) throws -> String {
        let url = dir.appendingPathComponent(name)
        let cache = try FeatureCache(url: url, weights: weights)
        for record in records {
            try cache.add(key: key(record.key), features: features(record.seed))
        }
        return url.path
    }

    /// Every record of a cache file, key → the record's feature bytes, read without the library.
    static func records(_ path: String) throws -> [Data: Data] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = data.prefix(8) == Data("CAPFEAT1".utf8) ? 8 : headerSize
        #expect((data.count - header) % recordSize == 0)
        var records: [Data: Data] = [:]
        for offset in stride(from: header, to: data.count, by: recordSize) {
            records[data.subdata(in: offset..<(offset + 32))] = data.subdata(in: (offset + 32)..<(offset + recordSize))
        }
        return records
    }

    static func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The merge's error, or nil when it succeeded.
    static func failure(_ parts: [String], _ output: String) -> FeatureCacheMergeError? {
        do {
            _ = try FeatureCacheMerge(parts: parts, output: output)
            return nil
        } catch {
            return error
        }
    }

    /// Nothing at `output`, and no temporary file left beside it.
    static func expectNoOutput(_ output: String) throws {
        #expect(!FileManager.default.fileExists(atPath: output))
        let dir = URL(fileURLWithPath: output).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") } == [])
    }

    @Test func mergesEveryRecordByteForByteAndReadsBackAsACache() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Self.part("a.features", in: dir, [(1, 1), (2, 2)])
        let b = try Self.part("b.features", in: dir, [(3, 3)])
        let empty = try Self.part("c.features", in: dir, [])
        let out = dir.appendingPathComponent("all.features").path
        let merge = try FeatureCacheMerge(parts: [a, b, empty], output: out)
        #expect(merge.counts == [2, 1, 0])
        #expect(merge.count == 3 && merge.duplicates == 0)
        #expect(merge.weights == Self.weights)

        let expected = try Self.records(a).merging(try Self.records(b)) { first, _ in first }
        #expect(try Self.records(out) == expected)
        let merged = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(merged.prefix(Self.headerSize) == Data("CAPFEAT3".utf8) + Data(Self.weights.bytes))
        // Records in the parts' order: the same inputs give the same file.
        #expect(merged.subdata(in: Self.headerSize..<(Self.headerSize + 32)) == Self.key(1))

        let cache = try FeatureCache(url: URL(fileURLWithPath: out), weights: Self.weights)
        #expect(cache.count == 3)
        #expect(try cache.entry(for: Self.key(3))?.vector == Self.features(3).vector)
        #expect(try cache.entry(for: Self.key(2))?.pool5.data == Self.features(2).pool5.data)
    }

    /// The same photo at two paths lands in two shards: identical records are one photo.
    @Test func keepsAnIdenticalDuplicateOnceAndCountsIt() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Self.part("a.features", in: dir, [(1, 1), (2, 2)])
        let b = try Self.part("b.features", in: dir, [(2, 2), (3, 3)])
        let out = dir.appendingPathComponent("all.features").path
        let merge = try FeatureCacheMerge(parts: [a, b], output: out)
        #expect(merge.count == 3 && merge.duplicates == 1 && merge.counts == [2, 2])
        #expect(try Self.records(out).count == 3)
        let size = try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int
        #expect(size == Self.headerSize + 3 * Self.recordSize)
    }

    @Test func refusesTheSamePhotoWithOtherFeatures() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Self.part("a.features", in: dir, [(1, 1), (2, 2)])
        let b = try Self.part("b.features", in: dir, [(3, 3), (2, 4)])
        let out = dir.appendingPathComponent("all.features").path
        guard case .part(let file, let reason)? = Self.failure([a, b], out) else {
            Issue.record("a conflicting duplicate was merged")
            return
        }
        #expect(file == b)
        #expect(reason.contains("is also in \(a) with other features"), "\(reason)")
        try Self.expectNoOutput(out)
    }

    @Test func refusesPartsOfDifferentEncoderWeights() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Self.part("a.features", in: dir, [(1, 1)])
        let b = try Self.part("b.features", in: dir, weights: Self.otherWeights, [(2, 2)])
        let out = dir.appendingPathComponent("all.features").path
        guard case .part(let file, let reason)? = Self.failure([a, b], out) else {
            Issue.record("parts of different weights were merged")
            return
        }
        #expect(file == b)
        #expect(reason == "made with other encoder weights (\(Self.otherWeights)) than \(a) (\(Self.weights)): "
                + "extract every part with the same weights")
        try Self.expectNoOutput(out)
    }

    /// A cache of the pool5 layout: `CAPFEAT1` (8-byte magic, weights unknown) or `CAPFEAT2`
    /// (magic and weights), records key | vector | pool5 float16.
    static func pool5Part(_ name: String, in dir: URL, magic: String = "CAPFEAT1",
                          _ records: [(key: UInt8, seed: Float)]) throws -> String {
        var data = Data(magic.utf8) + (magic == "CAPFEAT1" ? Data() : Data(weights.bytes))
        for record in records {
            let features = features(record.seed)
            data.append(key(record.key))
            features.vector.withUnsafeBytes { data.append(contentsOf: $0) }
            features.pool5.data.map { Float16($0).bitPattern }.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    /// A pool5 cache and a conv5_3 cache hold different records: refused, naming the odd one.
    @Test func refusesToMixRegionLayouts() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let new = try Self.part("new.features", in: dir, [(1, 1)])
        let old = try Self.pool5Part("old.features", in: dir, magic: "CAPFEAT2", [(2, 2)])
        let out = dir.appendingPathComponent("all.features").path
        guard case .part(let file, let reason)? = Self.failure([new, old], out) else {
            Issue.record("caches of two layouts were merged")
            return
        }
        #expect(file == old && reason.hasPrefix("keeps 7×7 regions, \(new) 14×14"), "\(reason)")
        try Self.expectNoOutput(out)
        // Two pool5 caches still merge, into a pool5 cache.
        let older = try Self.pool5Part("older.features", in: dir, magic: "CAPFEAT2", [(3, 3)])
        let merge = try FeatureCacheMerge(parts: [old, older], output: out)
        #expect(merge.count == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)).prefix(8) == Data("CAPFEAT2".utf8))
        #expect(try FeatureCache(url: URL(fileURLWithPath: out), weights: Self.weights).entry(for: Self.key(3))?.pool5.data
                == Self.features(3).pool5.data)
    }

    @Test func refusesAnOldCacheWithUnknownWeightsBesideKnownOnes() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let known = try Self.part("known.features", in: dir, [(1, 1)])
        let old = try Self.pool5Part("old.features", in: dir, [(2, 2)])
        let out = dir.appendingPathComponent("all.features").path
        for parts in [[known, old], [old, known]] {
            guard case .part(let file, let reason)? = Self.failure(parts, out) else {
                Issue.record("an old cache was merged with a new one")
                return
            }
            #expect(file == old)
            #expect(reason.hasPrefix("records no encoder weights (a CAPFEAT1 cache"), "\(reason)")
            #expect(reason.contains(known))
        }
        try Self.expectNoOutput(out)
    }

    @Test func mergesOldCachesIntoAnOldCache() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Self.pool5Part("a.features", in: dir, [(1, 1)])
        let b = try Self.pool5Part("b.features", in: dir, [(2, 2)])
        let out = dir.appendingPathComponent("all.features").path
        let merge = try FeatureCacheMerge(parts: [a, b], output: out)
        #expect(merge.weights == nil && merge.count == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)).prefix(8) == Data("CAPFEAT1".utf8))
        // Still a cache every encoder can extend, as CAPFEAT1 caches always were.
        let cache = try FeatureCache(url: URL(fileURLWithPath: out), weights: Self.otherWeights)
        #expect(cache.weights == nil && cache.count == 2)
    }

    @Test func aTruncatedOrCorruptPartIsOneErrorNamingIt() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try Self.part("good.features", in: dir, [(1, 1)])
        let data = try Data(contentsOf: URL(fileURLWithPath: try Self.part("whole.features", in: dir, [(2, 2), (3, 3)])))
        let out = dir.appendingPathComponent("all.features").path

        func expectRefused(_ name: String, _ bytes: Data, _ reason: String) throws {
            let path = dir.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            guard case .part(let file, let message)? = Self.failure([good, path], out) else {
                Issue.record("\(name) was merged")
                return
            }
            #expect(file == path)
            #expect(message.contains(reason), "\(name): \(message)")
            #expect(!message.contains("\n"))
            try Self.expectNoOutput(out)
        }
        try expectRefused("cut.features", data.dropLast(1000), "truncated: ends \(Self.recordSize - 1000) bytes into a record")
        try expectRefused("header.features", data.prefix(20), "truncated: the header ends after 20 of 40 bytes")
        try expectRefused("text.features", Data("hello, world\n".utf8), "not a caption feature cache (bad magic)")
        try expectRefused("empty.features", Data(), "not a caption feature cache (bad magic)")
        try expectRefused("newer.features", Data("CAPFEAT9".utf8) + data.dropFirst(8), "a feature cache of a newer format (CAPFEAT9)")

        // A zero-filled hole (a bad copy) and bytes no encoder writes (negative, NaN).
        var hole = data
        hole.replaceSubrange((Self.headerSize + Self.recordSize)..<data.count, with: Data(count: Self.recordSize))
        try expectRefused("hole.features", hole, "corrupt: record 2 (byte \(Self.headerSize + Self.recordSize))")
        var negative = data
        negative[Self.headerSize + 32 + 4 * 10 + 3] = 0xBF  // vector[10] becomes negative
        try expectRefused("negative.features", negative, "corrupt: record 1")
        var notANumber = data
        let regions = Self.headerSize + Self.recordSize + 32 + 512 * 4
        notANumber.replaceSubrange((regions + 200)..<(regions + 202), with: [0xFF, 0x7F])  // a float16 NaN
        try expectRefused("nan.features", notANumber, "corrupt: record 2")

        let missing = dir.appendingPathComponent("missing.features").path
        guard case .part(let file, let reason)? = Self.failure([good, missing], out) else {
            Issue.record("a missing part was merged")
            return
        }
        #expect(file == missing && reason == "cannot read file: no such file")
    }

    @Test func neverWritesOverAnInput() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Self.part("a.features", in: dir, [(1, 1)])
        let b = try Self.part("b.features", in: dir, [(2, 2)])
        let before = try Data(contentsOf: URL(fileURLWithPath: b))
        // The same file under another spelling, and through a link.
        let link = dir.appendingPathComponent("link.features").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: b)
        for out in [dir.path + "/./b.features", link] {
            #expect(Self.failure([a, b], out) == .outputIsAnInput(output: out, input: b))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: b)) == before)
    }

    /// A failed merge keeps the file it would have replaced, whole, and leaves no temporary file.
    @Test func aFailedMergeLeavesAnEarlierOutputAsItWas() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Self.part("a.features", in: dir, [(1, 1), (2, 2)])
        let b = try Self.part("b.features", in: dir, [(3, 3), (2, 5)])  // fails at its last record
        let out = dir.appendingPathComponent("all.features")
        let earlier = Data("an earlier merge".utf8)
        try earlier.write(to: out)
        #expect(Self.failure([a, b], out.path) != nil)
        #expect(try Data(contentsOf: out) == earlier)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") } == [])

        let unwritable = dir.appendingPathComponent("no-such-folder/all.features").path
        guard case .output(let file, _)? = Self.failure([a], unwritable) else {
            Issue.record("wrote into a missing folder")
            return
        }
        #expect(file == unwritable)
    }
}
