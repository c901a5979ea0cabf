import Foundation
import Tensors
import Testing
import Formats

@Suite struct SafeTensorsRoundTripTests {
    let tensors: [String: Tensor] = [
        "encoder.weight": Tensor(shape: [2, 3], data: [1, -2.5, 0.125, 1e-3, 3e38, -0.0]),
        "encoder.bias": Tensor(shape: [3], data: [.infinity, -.infinity, 7]),
        "scalar": Tensor(shape: [], data: [42]),
        "empty": Tensor(shape: [0, 4], data: []),
    ]
    let metadata = ["vocabulary_size": "2538", "note": "quotes \" and \\ and\nnewline, é 猫", "empty": ""]

    @Test func f32RoundTripIsExact() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let url = scratch.file("model.safetensors")
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url, dtype: .f32)
        let file = try SafeTensorsFile.read(contentsOf: url)
        #expect(file.metadata == metadata)
        #expect(Set(file.tensors.keys) == Set(tensors.keys))
        for (name, tensor) in tensors {
            #expect(file.tensors[name]?.shape == tensor.shape, "\(name)")
            #expect(file.tensors[name].map { bits($0.data) } == bits(tensor.data), "\(name)")
        }
        #expect(scratch.contents == ["model.safetensors"], "no temporary file is left behind")
    }

    @Test func nanSurvivesF32() throws {
        let bytes = try SafeTensorsFile.serialized(["x": Tensor(shape: [1], data: [.nan])])
        let file = try SafeTensorsFile(serialized: Data(bytes))
        #expect(file.tensors["x"]?.data[0].isNaN == true)
    }

    @Test func f16RoundTripKeepsRepresentableValues() throws {
        let exact: [String: Tensor] = ["w": Tensor(shape: [2, 2], data: [1, -2.5, 0.099975586, 65504])]
        let file = try SafeTensorsFile(serialized: Data(SafeTensorsFile.serialized(exact, metadata: ["a": "b"], dtype: .f16)))
        #expect(file.tensors["w"]?.data == [1, -2.5, 0.099975586, 65504])
        #expect(file.metadata == ["a": "b"])
    }

    @Test func f16RoundsToNearestEven() throws {
        let ulp: Float = 0x1p-10  // spacing of float16 just above 1
        let inputs: [Float] = [
            1 + ulp / 2,        // tie → even mantissa: 1
            1 + 3 * ulp / 2,    // tie → even mantissa: 1 + 2 ulp
            1 + ulp * 0.51,     // above the tie: 1 + ulp
            65520,              // tie between 65504 and the next (infinite) step → inf
            1e-8,               // under half the smallest subnormal → 0
            6e-8,               // nearest subnormal 2^-24
            -0.33333334,
        ]
        let expected: [Float] = [1, 1 + 2 * ulp, 1 + ulp, .infinity, 0, 0x1p-24, -0.33325195]
        let bytes = try SafeTensorsFile.serialized(["x": Tensor(shape: [inputs.count], data: inputs)], dtype: .f16)
        let file = try SafeTensorsFile(serialized: Data(bytes))
        #expect(file.tensors["x"]?.data == expected)
    }

    @Test func bf16RoundsToNearestEven() throws {
        let ulp: Float = 0x1p-7  // spacing of bfloat16 just above 1
        let inputs: [Float] = [1 + ulp / 2, 1 + 3 * ulp / 2, -3.5, .infinity]
        let bytes = try SafeTensorsFile.serialized(["x": Tensor(shape: [4], data: inputs)], dtype: .bf16)
        let file = try SafeTensorsFile(serialized: Data(bytes))
        #expect(file.tensors["x"]?.data == [1, 1 + 2 * ulp, -3.5, .infinity])
        let nan = try SafeTensorsFile(serialized: Data(SafeTensorsFile.serialized(
            ["n": Tensor(shape: [1], data: [Float(bitPattern: 0x7F80_0001)])], dtype: .bf16)))
        #expect(nan.tensors["n"]?.data[0].isNaN == true, "a NaN with a low payload must not become infinity")
    }

    @Test func headerIsPaddedToEightBytesAndTensorsAreSortedByName() throws {
        let bytes = try SafeTensorsFile.serialized(tensors, metadata: metadata)
        let headerLength = bytes[0 ..< 8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8 ..< 8 + headerLength], as: UTF8.self)
        let order = ["__metadata__", "empty", "encoder.bias", "encoder.weight", "scalar"]
        let positions = order.map { header.range(of: "\"\($0)\"")!.lowerBound }
        #expect(positions == positions.sorted())
        #expect(header.hasPrefix("{\"__metadata__\":{\"empty\":\"\",\"note\":"))
        #expect(bytes.count == 8 + headerLength + (6 + 3 + 1) * 4)
    }

    @Test func writeReplacesAnExistingFileAtomically() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let url = scratch.file("w.safetensors")
        try SafeTensorsFile.write(["a": Tensor(shape: [1], data: [1])], to: url)
        try SafeTensorsFile(tensors: ["b": Tensor(shape: [2], data: [2, 3])], metadata: ["k": "v"]).write(to: url)
        let file = try SafeTensorsFile.read(contentsOf: url)
        #expect(Array(file.tensors.keys) == ["b"])
        #expect(file.metadata == ["k": "v"])
        #expect(scratch.contents == ["w.safetensors"])
    }

    @Test func writeIntoMissingDirectoryFailsCleanly() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let url = scratch.file("missing/w.safetensors")
        expectError("unwritable", containing: "No such file or directory") {
            try SafeTensorsFile.write(["a": Tensor(shape: [1], data: [1])], to: url)
        }
        #expect(scratch.contents.isEmpty)
    }

    @Test func writeRejectsReservedNameAndInconsistentTensor() throws {
        expectError("invalidHeader", containing: "reserved") {
            _ = try SafeTensorsFile.serialized(["__metadata__": Tensor(shape: [1], data: [1])])
        }
        var broken = Tensor(shape: [2], data: [1, 2])
        broken.shape = [3]  // the fields are public vars, so this can happen
        expectError("invalidShape", containing: "'broken'") {
            _ = try SafeTensorsFile.serialized(["broken": broken])
        }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        expectError("invalidShape") {
            try SafeTensorsFile.write(["broken": broken], to: scratch.file("x.safetensors"))
        }
        #expect(scratch.contents.isEmpty, "a refused write leaves nothing behind")
    }

    @Test func tensorLookupChecksNameAndShape() throws {
        let file = SafeTensorsFile(tensors: tensors)
        #expect(try file.tensor("encoder.bias", shape: [3]).data[2] == 7)
        expectError("missingTensor", containing: "'decoder.bias'") {
            _ = try file.tensor("decoder.bias", shape: [3])
        }
        let error = expectError("shapeMismatch", containing: "[2, 3]") {
            _ = try file.tensor("encoder.weight", shape: [3, 2])
        }
        #expect(error?.description == "tensor 'encoder.weight' has shape [2, 3], expected [3, 2]")
    }
}
