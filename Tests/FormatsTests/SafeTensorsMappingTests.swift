import Foundation
import Tensors
import Testing
import Formats

/// Files written for mapping (`write(floats:…, alignment: 64)`) read back in place: aligned
/// data, the same values as the reader decodes, and the reader's errors for what cannot be a view.
@Suite struct SafeTensorsMappingTests {
    @Test func alignedFloatsMapInPlace() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let url = scratch.file("prepared.safetensors")
        let kernel: [Float] = (0..<48).map { Float($0) * 0.5 - 3 }, bias: [Float] = [1, -2, 3, 4, 5, 6, 7, 8]
        try kernel.withUnsafeBufferPointer { kernel in
            try bias.withUnsafeBufferPointer { bias in
                try SafeTensorsFile.write(floats: ["k": ([6, 1, 8], kernel), "b": ([8], bias)], metadata: ["plan": "x"],
                                          to: url, alignment: 64)
            }
        }
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        #expect((8 + headerLength) % 64 == 0, "the data starts on a 64-byte boundary")

        let mapping = try SafeTensorsMapping(contentsOf: url)
        #expect(mapping.metadata == ["plan": "x"])
        let mapped = try mapping.floats("k", shape: [6, 1, 8])
        #expect(mapped.isView && Array(mapped.buffer) == kernel)
        let first = try mapping.floats("b", shape: [8])  // "b" sorts first: at the start of the data
        #expect(Int(bitPattern: first.base) % 64 == 0 && Array(first.buffer) == bias)
        // The ordinary reader sees the same file.
        #expect(try SafeTensorsFile.read(contentsOf: url).tensors["k"]?.data == kernel)
    }

    @Test func wrongNamesShapesAndTypesAreErrors() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let url = scratch.file("half.safetensors")
        try SafeTensorsFile.write(["h": Tensor(shape: [4], data: [1, 2, 3, 4])], to: url, dtype: .f16)
        let mapping = try SafeTensorsMapping(contentsOf: url)
        #expect(throws: WeightsError.self) { try mapping.floats("h", shape: [4]) }
        #expect(throws: WeightsError.self) { try mapping.floats("missing", shape: [4]) }
        #expect(throws: WeightsError.self) { try mapping.floats("h", shape: [2, 2]) }
        #expect(throws: (any Error).self) { try SafeTensorsMapping(contentsOf: scratch.file("absent.safetensors")) }
    }
}
