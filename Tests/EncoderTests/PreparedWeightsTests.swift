import Encoder
import Foundation
import Formats
import Tensors
import Testing

/// The prepared-kernel cache beside the weights: written on first load, then mapped and used in
/// place; trusted by size and mtime, re-hashed when those change, rebuilt when the bytes
/// differ; and never a failure when it cannot be written. Each case works on a copy of the
/// imported weights in its own folder.
@Suite struct PreparedWeightsTests {
    static let input = OpTestInput.random([32, 32, 3], seed: 3)

    /// A scratch folder holding a copy of `weights/vgg16.safetensors`.
    struct Folder {
        let url: URL
        var weights: URL { url.appendingPathComponent("vgg16.safetensors") }
        var cache: URL { url.appendingPathComponent("vgg16.prepared.safetensors") }

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("prepared-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: EncoderGoldenTests.weightsFile, to: weights)
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    static func features(_ encoder: VGGEncoder) -> [Float] { encoder.encode(input, workers: 2).conv5.data }

    @Test func firstLoadWritesTheCacheAndLaterLoadsMapIt() throws {
        _ = try EncoderGoldenTests.encoder()  // records an issue when the weights are missing
        let folder = try Folder()
        defer { folder.remove() }
        let reference = try VGGEncoder(contentsOf: folder.weights, preparedCache: false)
        #expect(!FileManager.default.fileExists(atPath: folder.cache.path))

        let first = try VGGEncoder(contentsOf: folder.weights)
        #expect(FileManager.default.fileExists(atPath: folder.cache.path))
        #expect(first.convs.allSatisfy { !$0.kernel.isView }, "the first load prepares in memory")
        let second = try VGGEncoder(contentsOf: folder.weights)
        #expect(second.convs.allSatisfy { $0.kernel.isView }, "a later load maps the cache")
        #expect(second.convs.map(\.algorithm) == reference.convs.map(\.algorithm))
        #expect(Self.features(second) == Self.features(reference), "mapped kernels give the same bits")
        let metadata = try SafeTensorsMapping(contentsOf: folder.cache).metadata
        #expect(metadata["preprocessing"] == "caffe" && metadata["input_channel_order"] == "BGR")
        #expect(second.convention == reference.convention)
    }

    @Test func aNewMtimeIsRehashedAndTheSameBytesKeepTheCache() throws {
        _ = try EncoderGoldenTests.encoder()
        let folder = try Folder()
        defer { folder.remove() }
        _ = try VGGEncoder(contentsOf: folder.weights)
        let before = try SafeTensorsMapping(contentsOf: folder.cache).metadata
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: folder.weights.path)
        let encoder = try VGGEncoder(contentsOf: folder.weights)
        #expect(encoder.convs.allSatisfy { $0.kernel.isView }, "same sha256: the mapped cache is used")
        let after = try SafeTensorsMapping(contentsOf: folder.cache).metadata
        #expect(after["source_sha256"] == before["source_sha256"])
        #expect(after["source_mtime"] != before["source_mtime"], "the new mtime is recorded, so the next start skips the hash")
    }

    @Test func changedWeightsRebuildTheCache() throws {
        _ = try EncoderGoldenTests.encoder()
        let folder = try Folder()
        defer { folder.remove() }
        let original = Self.features(try VGGEncoder(contentsOf: folder.weights))
        // Same size, other values: scale conv1_1's weights.
        var file = try SafeTensorsFile.read(contentsOf: folder.weights)
        file.tensors["conv1_1.weight"]!.data = file.tensors["conv1_1.weight"]!.data.map { $0 * 2 }
        try file.write(to: folder.weights)
        let rebuilt = try VGGEncoder(contentsOf: folder.weights)
        #expect(rebuilt.convs.allSatisfy { !$0.kernel.isView }, "a stale cache is not used")
        let reference = try VGGEncoder(contentsOf: folder.weights, preparedCache: false)
        #expect(Self.features(rebuilt) == Self.features(reference))
        #expect(Self.features(rebuilt) != original)
        #expect(Self.features(try VGGEncoder(contentsOf: folder.weights)) == Self.features(reference), "the rebuilt cache maps")
    }

    @Test func anUnwritableCacheIsNotAnError() throws {
        _ = try EncoderGoldenTests.encoder()
        let folder = try Folder()
        defer { folder.remove() }
        // A directory where the cache file would go: it can neither be read nor replaced.
        try FileManager.default.createDirectory(at: folder.cache, withIntermediateDirectories: false)
        let encoder = try VGGEncoder(contentsOf: folder.weights)
        let reference = try VGGEncoder(contentsOf: folder.weights, preparedCache: false)
        #expect(Self.features(encoder) == Self.features(reference))
    }

    /// A corrupt cache file (cut short) is rebuilt, not trusted and not an error.
    @Test func aTruncatedCacheIsRebuilt() throws {
        _ = try EncoderGoldenTests.encoder()
        let folder = try Folder()
        defer { folder.remove() }
        _ = try VGGEncoder(contentsOf: folder.weights)
        let handle = try FileHandle(forWritingTo: folder.cache)
        try handle.truncate(atOffset: 1000)
        try handle.close()
        let encoder = try VGGEncoder(contentsOf: folder.weights)
        #expect(encoder.convs.allSatisfy { !$0.kernel.isView })
        #expect(try VGGEncoder(contentsOf: folder.weights).convs.allSatisfy { $0.kernel.isView })
    }
}

/// Random inputs for the encoder tests.
enum OpTestInput {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float(rng.nextUnit() * 255 - 128) })
    }
}
