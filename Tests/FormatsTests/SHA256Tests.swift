import Foundation
import Testing
import Formats
import Support

@Suite struct SHA256Tests {
    func hex(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return SHA256.hex(hasher.finalize())
    }

    /// The fixtures' byte pattern; see make_weights_fixtures.py.
    func pattern(_ count: Int) -> [UInt8] {
        (0 ..< count).map { UInt8(truncatingIfNeeded: $0 * 31 + ($0 >> 8)) }
    }

    @Test func fipsVectors() {
        #expect(hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    struct Vectors: Decodable {
        struct Vector: Decodable { var length: Int; var sha256: String }
        var vectors: [Vector]
    }

    @Test func matchesPythonHashlibAroundPaddingBoundariesAndOneMebibyte() throws {
        let vectors = try JSONDecoder().decode(Vectors.self, from: Fixture.bytes("sha256_vectors.json")).vectors
        #expect(vectors.map(\.length).contains(1 << 20))
        for vector in vectors {
            #expect(hex(pattern(vector.length)) == vector.sha256, "length \(vector.length)")
        }
    }

    @Test func chunkedUpdatesEqualOneUpdate() {
        let bytes = pattern(10_000)
        var hasher = SHA256()
        var start = 0
        for size in [1, 63, 64, 65, 0, 127, 3000, 1] where start < bytes.count {
            hasher.update(Array(bytes[start ..< min(start + size, bytes.count)]))
            start += size
        }
        hasher.update(Data(bytes[start...]))
        #expect(SHA256.hex(hasher.finalize()) == hex(bytes))
        #expect(SHA256.hash(Data(bytes)) == { var h = SHA256(); h.update(bytes); return h.finalize() }())
    }

    @Test func hashesFilesInChunks() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let url = scratch.file("bytes.bin")
        let bytes = pattern(3 << 20)  // three 1 MiB reads
        try Data(bytes).write(to: url)
        #expect(try SHA256.hexDigest(ofFileAt: url) == hex(bytes))
        expectError("unreadable") { _ = try SHA256.hexDigest(ofFileAt: scratch.file("absent")) }
    }
}
