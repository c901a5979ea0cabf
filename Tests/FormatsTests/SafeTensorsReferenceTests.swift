import Foundation
import Tensors
import Testing
import Formats

/// Files written by the reference implementation (Python `safetensors`) and by hand to the spec.
@Suite struct SafeTensorsReferenceTests {
    /// The tensors make_weights_fixtures.py saves in reference_f32/f16.safetensors.
    let referenceTensors: [String: Tensor] = [
        "conv.weight": Tensor(shape: [2, 3, 2, 2], data: (0 ..< 24).map { Float($0 - 12) / 8 }),
        "conv.bias": Tensor(shape: [2], data: [0.5, -0.25]),
        "scalar": Tensor(shape: [], data: [3]),
        "empty": Tensor(shape: [0, 3], data: []),
    ]
    let referenceMetadata = ["source": "make_weights_fixtures.py"]

    @Test(arguments: ["reference_f32.safetensors", "reference_f16.safetensors"])
    func readsReferenceFile(name: String) throws {
        let file = try SafeTensorsFile.read(contentsOf: Fixture.url(name))
        #expect(file.metadata == referenceMetadata)
        #expect(file.tensors == referenceTensors)
    }

    @Test func writerMatchesReferenceF32ByteForByte() throws {
        let expected = try Fixture.bytes("reference_f32.safetensors")
        let written = try SafeTensorsFile.serialized(referenceTensors, metadata: referenceMetadata, dtype: .f32)
        #expect(written == [UInt8](expected))
    }

    @Test func writerMatchesReferenceF16ByteForByte() throws {
        let expected = try Fixture.bytes("reference_f16.safetensors")
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let url = scratch.file("f16.safetensors")
        try SafeTensorsFile.write(referenceTensors, metadata: referenceMetadata, to: url, dtype: .f16)
        #expect(try Data(contentsOf: url) == expected)
    }

    @Test func readsMixedDTypesInBufferOrder() throws {
        let file = try SafeTensorsFile.read(contentsOf: Fixture.url("mixed_dtypes.safetensors"))
        #expect(file.metadata == ["format": "pt", "note": "mixed \"dtypes\" é"])
        #expect(file.tensors["half"] == Tensor(shape: [4], data: [1, -2.5, 0.099975586, 65504]))
        #expect(file.tensors["single"]?.shape == [2, 3])
        #expect(file.tensors["single"].map { bits($0.data) } == bits([1.5, -0.125, 3e38, Float(bitPattern: 0x0001_16C2), 0, -7]))  // 1e-40 is subnormal
        #expect(file.tensors["brain"] == Tensor(shape: [2, 2], data: [1, -3.5, 0.15625, 0x1p100]))
    }

    @Test func everyTruncationOfAValidFileIsAnError() throws {
        let bytes = try Fixture.bytes("reference_f32.safetensors")
        for length in 0 ..< bytes.count {
            #expect(throws: WeightsError.self, "prefix of \(length) bytes") {
                _ = try SafeTensorsFile(serialized: bytes.prefix(length))
            }
        }
    }
}
