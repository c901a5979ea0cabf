import Foundation
import Tensors
import Testing
import Datasets
import Encoder

@Suite struct FeatureCacheTests {
    static func key(_ byte: UInt8) -> Data { Data(repeating: byte, count: 32) }
    static let weights = EncoderWeightsDigest(bytes: [UInt8](repeating: 7, count: 32))
    /// Features as the encoder gives them: conv5_3 (values float16 stores exactly: multiples of
    /// 0.5 below 100), pool5 its 2 × 2 max pool.
    static func features(_ seed: Float) -> EncoderFeatures {
        let conv5 = Tensor(shape: [14, 14, 512], data: (0..<(14 * 14 * 512)).map { Float(($0 * 7) % 97) * seed })
        return EncoderFeatures(vector: (0..<512).map { Float($0) * seed }, pool5: Pooling.maxPool2x2(conv5), conv5: conv5)
    }
    /// One record of a cache made before conv5_3 was kept (`CAPFEAT1`/`2`): key, vector, pool5 float16.
    static func oldRecord(_ byte: UInt8, _ features: EncoderFeatures) -> Data {
        var record = key(byte)
        features.vector.withUnsafeBytes { record.append(contentsOf: $0) }
        features.pool5.data.map { Float16($0).bitPattern }.withUnsafeBytes { record.append(contentsOf: $0) }
        return record
    }

    @Test func storesAndReloadsAcrossOpens() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).features")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let cache = try FeatureCache(url: url, weights: Self.weights)
            try cache.add(key: Self.key(1), features: Self.features(0.5))
            try cache.add(key: Self.key(1), features: Self.features(0.5))  // same key twice: stored once
            #expect(cache.count == 1 && cache.layout == .conv5)
        }
        #expect(try Data(contentsOf: url).prefix(8) == Data("CAPFEAT3".utf8))
        let reopened = try FeatureCache(url: url, weights: Self.weights)
        #expect(reopened.count == 1)
        let entry = try #require(try reopened.entry(for: Self.key(1)))
        let expected = Self.features(0.5)
        #expect(entry.vector == expected.vector)
        // conv5_3 is stored as float16: these values are exact; pool5 is its max pool.
        #expect(entry.conv5?.shape == [14, 14, 512] && entry.conv5?.data == expected.conv5?.data)
        #expect(entry.pool5.shape == [7, 7, 512] && entry.pool5.data == expected.pool5.data)
        #expect(entry.regions(grid: 14)?.shape == [197, 512] && entry.regions(grid: 7)?.shape == [50, 512])
        #expect(try reopened.entry(for: Self.key(2)) == nil)
    }

    @Test func aPartialLastRecordIsDroppedAndAppendingResumes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).features")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let cache = try FeatureCache(url: url, weights: Self.weights)
            for byte in UInt8(1)...3 {
                try cache.add(key: Self.key(byte), features: Self.features(Float(byte)))
            }
        }
        // Simulate a crash in the middle of writing the third record.
        let handle = try FileHandle(forUpdating: url)
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 1000)
        try handle.close()

        let cache = try FeatureCache(url: url, weights: Self.weights)
        #expect(cache.count == 2)
        #expect(cache.contains(Self.key(1)) && cache.contains(Self.key(2)) && !cache.contains(Self.key(3)))
        try cache.add(key: Self.key(3), features: Self.features(3))
        let reopened = try FeatureCache(url: url, weights: Self.weights)
        #expect(reopened.count == 3)
        #expect(try reopened.entry(for: Self.key(3))?.vector == Self.features(3).vector)
    }

    @Test func refusesAFileThatIsNotACache() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).features")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("hello, world".utf8).write(to: url)
        #expect(throws: FeatureCacheError.self) { try FeatureCache(url: url, weights: Self.weights) }
    }

    /// A cache keeps to the weights it was made with: features of other weights would live in
    /// another space, and nothing in the numbers would show it.
    @Test func refusesToOpenWithOtherEncoderWeights() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).features")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let cache = try FeatureCache(url: url, weights: Self.weights)
            #expect(cache.weights == Self.weights)
            try cache.add(key: Self.key(1), features: Self.features(1))
        }
        let other = EncoderWeightsDigest(bytes: [UInt8](repeating: 8, count: 32))
        #expect(throws: FeatureCacheWeightsMismatch.self) { try FeatureCache(url: url, weights: other) }
        do {
            _ = try FeatureCache(url: url, weights: other)
        } catch let error as FeatureCacheWeightsMismatch {
            #expect(error.made == Self.weights && error.wanted == other)
        }
        #expect(try FeatureCache(url: url, weights: Self.weights).count == 1)
    }

    /// Caches made before conv5_3 was kept (`CAPFEAT2`) and before the weights were recorded
    /// (`CAPFEAT1`) are read and extended as before: pool5 records, no conv5_3.
    @Test(arguments: ["CAPFEAT1", "CAPFEAT2"])
    func readsAndExtendsAnOlderCache(magic: String) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).features")
        defer { try? FileManager.default.removeItem(at: url) }
        let header = Data(magic.utf8) + (magic == "CAPFEAT1" ? Data() : Data(Self.weights.bytes))
        try (header + Self.oldRecord(1, Self.features(1))).write(to: url)
        let old = try FeatureCache(url: url, weights: Self.weights)
        #expect(old.weights == (magic == "CAPFEAT1" ? nil : Self.weights) && old.count == 1 && old.layout == .pool5)
        let entry = try #require(try old.entry(for: Self.key(1)))
        #expect(entry.vector == Self.features(1).vector && entry.pool5.data == Self.features(1).pool5.data)
        #expect(entry.conv5 == nil && entry.regions(grid: 14) == nil)
        try old.add(key: Self.key(2), features: Self.features(2))
        let reopened = try FeatureCache(url: url, weights: Self.weights)
        #expect(reopened.count == 2 && reopened.layout == .pool5)
        #expect(try reopened.entry(for: Self.key(2))?.pool5.data == Self.features(2).pool5.data)
        let data = try Data(contentsOf: url)
        #expect(data.prefix(8) == Data(magic.utf8) && data.count == header.count + 2 * Self.oldRecord(1, Self.features(1)).count)
    }
}
