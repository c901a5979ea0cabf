import Foundation
import Tensors
import Support

/// The contents of a safetensors file: named tensors plus a string-to-string metadata map.
///
/// Reading validates the whole file before decoding any value (see `SafeTensorsHeader`), so a
/// corrupt or hostile file yields a `WeightsError`, never a crash or a huge allocation. All
/// dtypes are widened to `Float`. Models load their parameters with `tensor(_:shape:)`, which
/// names the missing or mis-shaped tensor.
///
/// ```swift
/// let file = try SafeTensorsFile.read(contentsOf: url)
/// let w = try file.tensor("conv1_1.weight", shape: [64, 3, 3, 3])
/// ```
public struct SafeTensorsFile: Sendable {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and validates the file at `url`; the file is mapped, not copied.
    public static func read(contentsOf url: URL) throws -> SafeTensorsFile {
        try SafeTensorsFile(serialized: MappedFile.read(url))
    }

    /// Decodes a complete safetensors file held in memory.
    public init(serialized bytes: Data) throws {
        var tensors: [String: Tensor] = [:]
        let metadata = try bytes.withUnsafeBytes { file in
            let (header, dataStart) = try SafeTensorsHeader.read(file)
            tensors.reserveCapacity(header.entries.count)
            for entry in header.entries {
                let range = (dataStart + entry.byteRange.lowerBound) ..< (dataStart + entry.byteRange.upperBound)
                let values = entry.dtype.decode(UnsafeRawBufferPointer(rebasing: file[range]), count: entry.elementCount)
                tensors[entry.name] = Tensor(shape: entry.shape, data: values)
            }
            return header.metadata
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// The tensor called `name`, which must have exactly the shape `expected`.
    public func tensor(_ name: String, shape expected: [Int]) throws -> Tensor {
        guard let tensor = tensors[name] else { throw WeightsError.missingTensor(name) }
        guard tensor.shape == expected else {
            throw WeightsError.shapeMismatch(tensor: name, expected: expected, found: tensor.shape)
        }
        return tensor
    }
}
