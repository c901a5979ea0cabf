import Foundation
import Testing
import Formats
import Support

/// Each way a safetensors file can lie, and the error it must produce (quickly, without
/// allocating what the header claims).
@Suite struct SafeTensorsMalformedTests {
    /// length + header + data, with the length written honestly unless `declaredLength` is given.
    func file(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        let json = Array(header.utf8)
        let length = declaredLength ?? UInt64(json.count)
        return Data(withUnsafeBytes(of: length.littleEndian, Array.init) + json + data)
    }

    func read(_ bytes: Data) throws { _ = try SafeTensorsFile(serialized: bytes) }

    let fourFloats = [UInt8](repeating: 0, count: 16)

    @Test func acceptsAMinimalValidFile() throws {
        let bytes = file(#"{"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#, data: fourFloats)
        #expect(try SafeTensorsFile(serialized: bytes).tensors["x"]?.shape == [2, 2])
        // A slice whose indices do not start at 0 decodes the same.
        let shifted = (Data([9, 9, 9]) + bytes).dropFirst(3)
        #expect(try SafeTensorsFile(serialized: shifted).tensors["x"]?.data == [0, 0, 0, 0])
        #expect(try SafeTensorsFile(serialized: file("{}")).tensors.isEmpty)
        #expect(try SafeTensorsFile(serialized: file(#"{"__metadata__":null}  "#)).metadata.isEmpty)
    }

    @Test func fileShorterThanTheLengthField() {
        expectError("truncated", containing: "8-byte") { try read(Data([1, 0, 0])) }
    }

    @Test func absurdHeaderLengthsFailBeforeAllocating() {
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            expectError("headerTooLarge", containing: "100000000") {
                try read(file("{}", declaredLength: UInt64.max))
            }
            expectError("headerTooLarge") { try read(file("{}", declaredLength: 200_000_000)) }
        }
        #expect(elapsed < .seconds(1))
    }

    @Test func headerLongerThanTheFile() {
        expectError("truncated", containing: "needs 1000 bytes but only 2 follow") {
            try read(file("{}", declaredLength: 1000))
        }
    }

    @Test func headerThatIsNotAnObject() {
        expectError("invalidHeader", containing: "not a JSON object") { try read(file("[1, 2]")) }
        expectError("invalidHeader", containing: "not a JSON object") { try read(file("\"text\"")) }
        expectError("invalidHeader", containing: "not valid JSON") { try read(file(#"{"x": "#)) }
        expectError("invalidHeader", containing: "not valid JSON") { try read(Data([2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE])) }
    }

    @Test func entriesWithWrongTypesOrMissingFields() {
        expectError("invalidHeader", containing: "'x'") { try read(file(#"{"x": 3}"#)) }
        expectError("invalidHeader", containing: "missing 'dtype'") {
            try read(file(#"{"x":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
        }
        expectError("invalidHeader", containing: "'__metadata__'") {
            try read(file(#"{"__metadata__":{"epochs":15}}"#))
        }
    }

    @Test func unknownDType() {
        expectError("unsupportedDType", containing: "'I64'") {
            try read(file(#"{"x":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, data: fourFloats))
        }
    }

    @Test func badShapes() {
        expectError("invalidShape", containing: "negative dimension -4") {
            try read(file(#"{"x":{"dtype":"F32","shape":[-4,-1],"data_offsets":[0,16]}}"#, data: fourFloats))
        }
        expectError("invalidShape", containing: "too many elements") {
            try read(file(#"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#, data: fourFloats))
        }
        expectError("invalidShape", containing: "too many elements") {  // elements fit, bytes overflow
            try read(file(#"{"x":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,16]}}"#, data: fourFloats))
        }
    }

    @Test func numbersOutsideIntRangeOrNotIntegers() {
        expectError("invalidHeader", containing: "'shape' [0]: expected an integer within ±9223372036854775807, found 1e+20") {
            try read(file(#"{"x":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,16]}}"#, data: fourFloats))
        }
        expectError("invalidHeader", containing: "'data_offsets'") {
            try read(file(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,1e30]}}"#, data: fourFloats))
        }
        expectError("invalidHeader", containing: "'data_offsets' [1]: expected an integer") {
            try read(file(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,"16"]}}"#, data: fourFloats))
        }
        expectError("invalidHeader", containing: "'data_offsets' [0]: expected an integer within ±9223372036854775807, found 0.5") {
            try read(file(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0.5,16]}}"#, data: fourFloats))
        }
    }

    @Test func offsetsOutOfShape() {
        expectError("invalidOffsets", containing: "expected [begin, end]") {
            try read(file(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}}"#, data: fourFloats))
        }
        expectError("invalidOffsets", containing: "negative") {
            try read(file(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[-16,0]}}"#, data: fourFloats))
        }
        expectError("invalidOffsets", containing: "begin 16 is after end 0") {
            try read(file(#"{"x":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}}"#, data: fourFloats))
        }
        expectError("invalidOffsets", containing: "holds 16 bytes but F16 [4] needs 8") {
            try read(file(#"{"x":{"dtype":"F16","shape":[4],"data_offsets":[0,16]}}"#, data: fourFloats))
        }
    }

    @Test func overlappingTensors() {
        expectError("invalidOffsets", containing: "overlap tensor 'a'") {
            try read(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                          data: fourFloats))
        }
    }

    @Test func gapsAndTrailingBytes() {
        expectError("invalidOffsets", containing: "4 unused bytes after tensor 'a'") {
            try read(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                          data: fourFloats))
        }
        expectError("invalidOffsets", containing: "at the start of the data") {
            try read(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: fourFloats))
        }
        expectError("invalidHeader", containing: "describe only 8") {
            try read(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: fourFloats))
        }
    }

    @Test func offsetsBeyondTheDataFailWithoutAllocating() {
        // 400 MB claimed by a 36-byte file: must be refused before any buffer of that size exists.
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            expectError("truncated", containing: "tensor 'x' ends at data byte 400000000") {
                try read(file(#"{"x":{"dtype":"F32","shape":[100000000],"data_offsets":[0,400000000]}}"#, data: fourFloats))
            }
        }
        #expect(elapsed < .seconds(1))
    }

    @Test func truncatedData() {
        expectError("truncated", containing: "only 12 bytes") {
            try read(file(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: Array(fourFloats.dropLast(4))))
        }
    }

    @Test func unreadableFiles() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        expectError("unreadable", containing: "no such file") {
            _ = try SafeTensorsFile.read(contentsOf: scratch.file("absent.safetensors"))
        }
        expectError("unreadable", containing: "is a directory") {
            _ = try SafeTensorsFile.read(contentsOf: scratch.url)
        }
    }
}
