import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Joins the feature caches of sharded runs (`caption features DIR --shard K/N --cache
/// part-K.features`) into one cache that training, evaluation and retrieval read.
///
/// Every check names the file to fix, and nothing is written unless all pass:
/// - **Whole parts.** Each part must start with a feature-cache header and end on a record
///   boundary. A part that ends mid-record was cut short (an interrupted run, a partial copy):
///   it is refused rather than silently losing its last photo, and rerunning its shard finishes
///   it. A record with an all-zero key, or with a value VGG16's pool5 cannot hold (negative or
///   not finite: conv5_3 and pool5 come after a ReLU), is corrupt.
/// - **One encoder.** Every part must name the same encoder weights. A `CAPFEAT1` part names
///   none, so merging it with parts that do is refused (nothing shows they agree); parts that
///   all lack it merge into a `CAPFEAT1` cache whose weights stay unknown.
/// - **No photo twice with different features.** Keys are the SHA-256 of a photo's bytes and
///   shards split by path, so the same key in two parts is the same photo at two paths (a
///   crawl's copies). With identical records that is harmless: the first is kept and the others
///   counted in ``duplicates``. With different records the parts were not made the same way
///   (another build of caption or of its libraries), and the merge stops rather than pick one.
///
/// The output goes through `AtomicFile`: it appears whole or not at all, never half-written, and
/// it may not be one of the inputs (compared as files, so `./a.features` is `a.features`).
/// Records keep their order, parts in the order given, so the same inputs give the same bytes.
public struct FeatureCacheMerge: Sendable {
    /// Records in each part, in the order given (duplicates included).
    public let counts: [Int]
    /// Records dropped because an identical one (same photo, same features) came earlier.
    public let duplicates: Int
    /// Records written.
    public let count: Int
    /// The encoder weights of every part; nil when the parts are `CAPFEAT1` caches (unknown).
    public let weights: EncoderWeightsDigest?

    /// Merges `parts` (paths as given on the command line) into a new cache at `output`.
    public init(parts: [String], output: String) throws(FeatureCacheMergeError) {
        precondition(!parts.isEmpty, "FeatureCacheMerge: no parts")
        if let target = FileIdentity(output), let input = parts.first(where: { FileIdentity($0) == target }) {
            throw .outputIsAnInput(output: output, input: input)
        }
        let files = try parts.map { path throws(FeatureCacheMergeError) in try Part(path: path) }
        let weights = try Self.commonWeights(files)
        let layout = files[0].header.layout
        if let other = files.first(where: { $0.header.layout != layout }) {
            throw .part(other.path, "keeps \(other.header.layout.gridSize)×\(other.header.layout.gridSize) regions, "
                        + "\(files[0].path) \(layout.gridSize)×\(layout.gridSize) (caches of two versions of caption): "
                        + "extract every part with one version")
        }
        let recordSize = layout.recordSize
        let destination = URL(fileURLWithPath: output)
        var duplicates = 0
        var count = 0
        do {
            let out = try AtomicFile(destination: destination)
            try out.append(FeatureCacheHeader(weights: weights, layout: layout).bytes)
            // Where each key was first seen: its part and byte offset, to compare a duplicate with.
            var first: [Data: (part: Int, offset: Int)] = [:]
            for (index, part) in files.enumerated() {
                for record in 0..<part.recordCount {
                    let offset = part.header.size + record * recordSize
                    try part.check(record: record, at: offset)
                    let key = part.data.subdata(in: offset..<(offset + 32))
                    if let earlier = first[key] {
                        guard files[earlier.part].body(at: earlier.offset) == part.body(at: offset) else {
                            throw FeatureCacheMergeError.part(part.path, "photo sha256 \(SHA256.hex(Array(key)).prefix(12))… "
                                + "is also in \(files[earlier.part].path) with other features: the parts were not made the same way "
                                + "(another build of caption or of its libraries?); extract both again with one build")
                        }
                        duplicates += 1
                        continue
                    }
                    first[key] = (index, offset)
                    try part.data.withUnsafeBytes { raw in
                        try out.append(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + recordSize)]))
                    }
                    count += 1
                }
            }
            try out.commit()
        } catch let error as FeatureCacheMergeError {
            throw error
        } catch let FileError.unwritable(_, reason) {
            throw .output(output, reason)
        } catch {
            throw .output(output, "\(error)")
        }
        self.counts = files.map(\.recordCount)
        self.duplicates = duplicates
        self.count = count
        self.weights = weights
    }

    /// What `caption features merge` prints: a line per part (its path, a tab, its photos), then
    /// the total, the duplicates kept once and the weights.
    public func report(parts: [String], output: String) -> [String] {
        let duplicateNote = duplicates == 0 ? "" : " (\(duplicates) photo\(duplicates == 1 ? "" : "s") in more than one part, kept once)"
        return zip(parts, counts).map { "\($0)\t\($1)" }
            + ["merged \(count) images from \(parts.count) files into \(output)\(duplicateNote); "
               + "encoder weights \(weights.map(\.description) ?? "unknown (CAPFEAT1 parts)")"]
    }

    /// The weights every part shares, or the error naming the first part that disagrees.
    private static func commonWeights(_ files: [Part]) throws(FeatureCacheMergeError) -> EncoderWeightsDigest? {
        guard let known = files.first(where: { $0.header.weights != nil }), let weights = known.header.weights else { return nil }
        for part in files {
            switch part.header.weights {
            case nil:
                throw .part(part.path, "records no encoder weights (a CAPFEAT1 cache, made before caches recorded them), so "
                            + "nothing shows it matches \(known.path) (\(weights)): extract its photos again into a new cache")
            case let other? where other != weights:
                throw .part(part.path, "made with other encoder weights (\(other)) than \(known.path) (\(weights)): "
                            + "extract every part with the same weights")
            default:
                continue
            }
        }
        return weights
    }

    /// One input, memory-mapped: its header and whole records, checked as they are read.
    private struct Part {
        let path: String
        let data: Data
        let header: FeatureCacheHeader
        let recordCount: Int

        init(path: String) throws(FeatureCacheMergeError) {
            self.path = path
            do {
                data = try MappedFile.read(URL(fileURLWithPath: path))
            } catch {
                throw .part(path, "\(error)")
            }
            do {
                header = try FeatureCacheHeader(reading: Array(data.prefix(FeatureCacheHeader.maxSize)))
            } catch {
                throw .part(path, error.reason)
            }
            let body = data.count - header.size
            let partial = body % header.layout.recordSize
            guard partial == 0 else {
                throw .part(path, "truncated: ends \(partial) bytes into a record (an interrupted run or a partial copy?): "
                            + "rerun its shard to finish it")
            }
            recordCount = body / header.layout.recordSize
        }

        /// The record's features, without its key.
        func body(at offset: Int) -> Data {
            data.subdata(in: (offset + 32)..<(offset + header.layout.recordSize))
        }

        /// Refuses a record the encoder cannot have written: an all-zero key (a zero-filled hole
        /// left by a bad copy), or a negative or non-finite value (conv5_3 and pool5 follow a ReLU).
        func check(record: Int, at offset: Int) throws(FeatureCacheMergeError) {
            let plausible = data.withUnsafeBytes { raw -> Bool in
                var key: UInt8 = 0
                for i in 0..<32 { key |= raw[offset + i] }
                guard key != 0 else { return false }
                let vector = offset + 32
                for i in 0..<FeatureCache.vectorCount {
                    let bits = raw.loadUnaligned(fromByteOffset: vector + 4 * i, as: UInt32.self)
                    let negative = bits & 0x8000_0000 != 0 && bits & 0x7FFF_FFFF != 0
                    if negative || bits & 0x7F80_0000 == 0x7F80_0000 { return false }
                }
                let regions = vector + 4 * FeatureCache.vectorCount
                for i in 0..<header.layout.regionValueCount {
                    let bits = raw.loadUnaligned(fromByteOffset: regions + 2 * i, as: UInt16.self)
                    let negative = bits & 0x8000 != 0 && bits & 0x7FFF != 0
                    if negative || bits & 0x7C00 == 0x7C00 { return false }
                }
                return true
            }
            guard plausible else {
                throw .part(path, "corrupt: record \(record + 1) (byte \(offset)) holds values no encoder wrote; "
                            + "extract this part again")
            }
        }
    }

    /// A file's device and inode: two paths name the same file when these agree.
    private struct FileIdentity: Equatable {
        let device: UInt64
        let inode: UInt64

        /// Nil when nothing is at `path`.
        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }
}

/// Why a merge of feature caches stopped; nothing was written.
public enum FeatureCacheMergeError: Error, CustomStringConvertible, Equatable {
    /// The output names one of the inputs (perhaps through another path).
    case outputIsAnInput(output: String, input: String)
    /// A part that cannot be used, or that disagrees with another: (the part's path, why).
    case part(String, String)
    /// The output could not be written: (its path, why).
    case output(String, String)

    public var description: String {
        switch self {
        case let .outputIsAnInput(output, input): "\(output): is also an input (\(input)); write the merge to a new file"
        case let .part(path, reason): "\(path): \(reason)"
        case let .output(path, reason): "\(path): cannot write: \(reason)"
        }
    }
}
