import Foundation
import Testing
import Formats

/// The SIMD float16 → float32 widening against the standard library's `Float(Float16)`, bit for
/// bit, for all 65,536 patterns: zeros, subnormals, normals, infinities and NaN payloads.
@Suite struct Float16WideningTests {
    /// A file holding a 7-value tensor (the scalar tail) and then all 65,536 patterns, which so
    /// start 14 bytes into the data: the vector loads must not assume alignment.
    @Test func everyBitPatternWidensExactly() throws {
        let all = (0...UInt16.max).map { $0 }
        let tail: [UInt16] = [0x0001, 0x03FF, 0x7C00, 0xFC00, 0x7E01, 0x7D55, 0x8001]
        let header = #"{"all":{"dtype":"F16","shape":[65536],"data_offsets":[14,131086]},"#
            + #""tail":{"dtype":"F16","shape":[7],"data_offsets":[0,14]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8)
        for half in tail + all { bytes += withUnsafeBytes(of: half.littleEndian, Array.init) }
        let file = try SafeTensorsFile(serialized: Data(bytes))
        for (name, halves) in [("all", all), ("tail", tail)] {
            let got = try #require(file.tensors[name]).data
            let mismatches = zip(halves, got).filter { half, float in
                float.bitPattern != Float(Float16(bitPattern: half)).bitPattern
            }.map { String($0.0, radix: 16) }
            let count = mismatches.count
            #expect(count == 0, "\(name): \(count) patterns differ, first \(mismatches.prefix(3))")
        }
    }
}
