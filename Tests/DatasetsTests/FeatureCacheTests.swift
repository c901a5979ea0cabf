import Foundation
import Tensors
import Testing
import Datasets

@Suite struct FeatureCacheTests {
    static func key(_ byte: UInt8) -> Data { Data(repeating: byte, count: 32) }
    static let weights = EncoderWeightsDigest(bytes: [UInt8](repeating: 7, count: 32))
    static func features(_ seed: Float) -> ([Float], Tensor) {
        ((0..<512).map { Float($0) * seed }, Tensor(shape: [7, 7, 512], data: (0..<(7 * 7 * 512)).map { Float($0 % 100) * seed }))
    }

    @Test func storesAndReloadsAcrossOpens() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).features")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let cache = try FeatureCache(url: url, weights: Self.weights)
            let (v, p) = Self.features(0.5)
            try cache.add(key: Self.key(1), vector: v, pool5: p)
            try cache.add(key: Self.key(1), vector: v, pool5: p)  // same key twice: stored once
            #expect(cache.count == 1)
        }
        let reopened = try FeatureCache(url: url, weights: Self.weights)
        #expect(reopened.count == 1)
        let entry = try #require(try reopened.entry(for: Self.key(1)))
        #expect(entry.vector == Self.features(0.5).0)
        // pool5 is stored as float16: these values (multiples of 0.5 below 50) are exact.
        #expect(entry.pool5.data == Self.features(0.5).1.data)
        #expect(try reopened.entry(for: Self.key(2)) == nil)
    }

    @Test func aPartialLastRecordIsDroppedAndAppendingResumes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).features")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let cache = try FeatureCache(url: url, weights: Self.weights)
            for byte in UInt8(1)...3 {
                let (v, p) = Self.features(Float(byte))
                try cache.add(key: Self.key(byte), vector: v, pool5: p)
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
        let (v, p) = Self.features(3)
        try cache.add(key: Self.key(3), vector: v, pool5: p)
        let reopened = try FeatureCache(url: url, weights: Self.weights)
        #expect(reopened.count == 3)
        #expect(try reopened.entry(for: Self.key(3))?.vector == v)
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
            let (v, p) = Self.features(1)
            try cache.add(key: Self.key(1), vector: v, pool5: p)
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

    /// Caches made before the weights were recorded (`CAPFEAT1`) are read and extended as before.
    @Test func readsAndExtendsAVersionOneCache() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).features")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let cache = try FeatureCache(url: url, weights: Self.weights)
            let (v, p) = Self.features(1)
            try cache.add(key: Self.key(1), vector: v, pool5: p)
        }
        let records = try Data(contentsOf: url).dropFirst(40)
        try (Data("CAPFEAT1".utf8) + records).write(to: url)
        let old = try FeatureCache(url: url, weights: Self.weights)
        #expect(old.weights == nil && old.count == 1)
        #expect(try old.entry(for: Self.key(1))?.vector == Self.features(1).0)
        let (v, p) = Self.features(2)
        try old.add(key: Self.key(2), vector: v, pool5: p)
        let reopened = try FeatureCache(url: url, weights: Self.weights)
        #expect(reopened.count == 2 && reopened.weights == nil)
        #expect(try Data(contentsOf: url).prefix(8) == Data("CAPFEAT1".utf8))
    }
}
