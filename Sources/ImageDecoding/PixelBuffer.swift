/// Allocates an RGB8 buffer of `byteCount` bytes and lets a C decoder write into it.
///
/// The memory is left uninitialised (no zero-fill pass: the decoder writes every byte).
/// `decode` gets the buffer and its size and returns whether it succeeded; on failure the
/// partly written buffer is discarded and nil is returned.
func decodePixels(byteCount: Int, _ decode: (UnsafeMutablePointer<UInt8>, Int) -> Bool) -> [UInt8]? {
    var succeeded = false
    let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initializedCount in
        succeeded = decode(buffer.baseAddress!, byteCount)
        initializedCount = succeeded ? byteCount : 0
    }
    return succeeded ? pixels : nil
}
