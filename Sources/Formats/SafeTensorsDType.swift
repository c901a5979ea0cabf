import CKernels

/// The element types this project stores in safetensors files, spelled as in the header.
///
/// Everything is computed in `Float`; F16 and BF16 exist only to halve the size of stored weights
/// (the trained decoder is committed to git, so its size matters). Conversions to the narrow
/// types round to nearest, ties to even, as IEEE 754 and the reference implementation do.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"

    /// Bytes per element in the file.
    public var byteSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        }
    }

    /// Decodes `count` little-endian elements starting at `bytes.baseAddress`.
    ///
    /// The caller has checked that `bytes` holds `count * byteSize` bytes. Loads are unaligned
    /// because a tensor may start at any byte offset of the data buffer.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { values, initializedCount in
            let target = values.baseAddress!
            switch self {
            case .f32:
                #if _endian(little)
                // The file's bytes are already this machine's floats.
                UnsafeMutableRawPointer(target).copyMemory(from: bytes.baseAddress!, byteCount: 4 * count)
                #else
                for i in 0 ..< count {
                    let bits = bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    target[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
                #endif
            case .f16:
                Self.widenHalves(bytes, count: count, into: target)
            case .bf16:
                for i in 0 ..< count {
                    // bfloat16 is the top half of a float32, so widening is a shift.
                    let bits = bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                    target[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
                }
            }
            initializedCount = count
        }
    }

    /// float16 → float32, exactly for every bit pattern (a NaN comes out quiet, as from
    /// `Float(Float16)`), eight at a time with F16C (`ck_widen_f16`): the package targets
    /// baseline x86-64, where `Float(Float16)` is a scalar library call per value.
    public static func widenHalves(_ bytes: UnsafeRawBufferPointer, count: Int, into target: UnsafeMutablePointer<Float>) {
        precondition(bytes.count >= 2 * count, "\(bytes.count) bytes for \(count) float16 values")
        #if _endian(little)
        ck_widen_f16(bytes.baseAddress!.assumingMemoryBound(to: UInt16.self), target, count)
        #else
        for i in 0..<count {
            target[i] = Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
        }
        #endif
    }

    /// Encodes `values` as little-endian elements of this type.
    func encode(_ values: [Float]) -> [UInt8] {
        let byteCount = values.count * byteSize
        return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initializedCount in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            switch self {
            case .f32:
                for (i, value) in values.enumerated() {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            case .f16:
                for (i, value) in values.enumerated() {
                    // Float16.init(Float) rounds to nearest even; values past ±65504 become ±inf.
                    raw.storeBytes(of: Float16(value).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            case .bf16:
                for (i, value) in values.enumerated() {
                    raw.storeBytes(of: Self.bfloat16Bits(value).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            }
            initializedCount = byteCount
        }
    }

    /// Rounds a float to bfloat16 (nearest, ties to even), keeping NaN a NaN.
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        // Truncating a NaN whose payload sits in the low half would turn it into infinity.
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }
}
