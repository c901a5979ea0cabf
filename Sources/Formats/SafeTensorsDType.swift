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

    /// float16 → float32, 8 values at a time in integer SIMD (the package targets baseline
    /// x86-64, where `Float(Float16)` is a scalar library call per value: 8% of a cold start).
    ///
    /// Exact for every bit pattern (F. Giesen's "half to float" by magic): with h = s·e₅·m₁₀,
    ///
    ///     normal:    bits = s<<31 | (e + 112)<<23 | m<<13        (rebias 15 → 127)
    ///     inf / NaN: bits = s<<31 | 255<<23 | m<<13 (| quiet bit)  (payload kept, NaN made quiet)
    ///     e = 0:     float(m<<13 | 113<<23) − 2⁻¹⁴               (m·2⁻²⁴, exact: one rounding-free subtraction)
    public static func widenHalves(_ bytes: UnsafeRawBufferPointer, count: Int, into target: UnsafeMutablePointer<Float>) {
        let source = bytes.baseAddress!
        #if _endian(little)
        let vectorEnd = count - count % 8
        #else
        let vectorEnd = 0  // the vector loads below read the file's little-endian lanes as they are
        #endif
        var i = 0
        while i < vectorEnd {
            let halves = source.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            UnsafeMutableRawPointer(target + i).storeBytes(of: widen(halves),
                                                            as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            let half = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            target[i] = widen(SIMD8<UInt16>(repeating: half))[0]
            i += 1
        }
    }

    @inline(__always)
    static func widen(_ halves: SIMD8<UInt16>) -> SIMD8<Float> {
        // Lane masks come from shifts, not `.==` and `replacing(with:where:)`, which Swift
        // lowers to a scalar loop per lane.
        let h = SIMD8<UInt32>(truncatingIfNeeded: halves)
        let exponent = (h &>> 10) & 0x1F
        let isInfOrNaN = 0 &- ((exponent &+ 1) &>> 5)            // e = 31
        let isSubnormal = 0 &- (((exponent &- 1) &>> 31) & 1)    // e = 0
        let isNaN = 0 &- (((0x7C00 &- (h & 0x7FFF)) &>> 31) & 1) // e = 31, m ≠ 0
        var magnitude = ((h & 0x7FFF) &<< 13) &+ ((127 - 15) << 23)
        // Inf and NaN: the exponent goes all the way to 255, and a NaN comes out quiet, as
        // `Float(Float16)` and the F16C instruction make it.
        magnitude &+= isInfOrNaN & ((128 - 16) << 23)
        magnitude |= isNaN & 0x0040_0000
        // Zero and subnormals: renormalize through one exact float subtraction.
        let renormalized = unsafeBitCast(magnitude &+ (1 << 23), to: SIMD8<Float>.self)
            - SIMD8<Float>(repeating: Float(bitPattern: 113 << 23))
        magnitude = (isSubnormal & unsafeBitCast(renormalized, to: SIMD8<UInt32>.self)) | (~isSubnormal & magnitude)
        return unsafeBitCast(magnitude | ((h & 0x8000) &<< 16), to: SIMD8<Float>.self)
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
