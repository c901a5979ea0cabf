import Foundation
import Tensors
import Support

/// A safetensors file used in place: mapped, its header validated as `SafeTensorsFile` does, and
/// its F32 tensors handed out as views into the mapping (no copy, no decode).
///
/// Files written with `alignment: 64` (`SafeTensorsFile.write`) start their data on a 64-byte
/// boundary; every tensor whose offset is a multiple of 4 is then a properly aligned `Float` run.
public struct SafeTensorsMapping: Sendable {
    public let metadata: [String: String]
    private let mapping: FileMapping
    private let dataStart: Int
    private let entries: [String: SafeTensorsHeader.Entry]

    public init(contentsOf url: URL) throws {
        mapping = try FileMapping(url)
        let (header, dataStart) = try SafeTensorsHeader.read(mapping.bytes)
        self.dataStart = dataStart
        metadata = header.metadata
        entries = Dictionary(header.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The F32 tensor `name`, which must have exactly the shape `expected`, as a view that keeps
    /// the mapping alive.
    public func floats(_ name: String, shape expected: [Int]) throws -> FloatStorage {
        guard let entry = entries[name] else { throw WeightsError.missingTensor(name) }
        guard entry.shape == expected else {
            throw WeightsError.shapeMismatch(tensor: name, expected: expected, found: entry.shape)
        }
        guard entry.dtype == .f32 else {
            throw WeightsError.invalidHeader("tensor '\(name)' is \(entry.dtype.rawValue); a mapped tensor must be F32")
        }
        let offset = dataStart + entry.byteRange.lowerBound
        guard entry.elementCount == 0 || offset % MemoryLayout<Float>.alignment == 0, let base = mapping.bytes.baseAddress else {
            throw WeightsError.invalidHeader("tensor '\(name)' starts at byte \(offset), not aligned for Float")
        }
        #if _endian(big)
        throw WeightsError.invalidHeader("mapped little-endian tensors need a little-endian machine")
        #else
        return FloatStorage(viewing: (base + offset).assumingMemoryBound(to: Float.self), count: entry.elementCount,
                            keepingAlive: mapping)
        #endif
    }
}
