/// Space for the error text the C shims copy out of the image libraries.
struct LibraryMessage {
    /// The shims cut messages to fit; the libraries' own are well under 200 characters.
    private var storage = [CChar](repeating: 0, count: 256)

    /// Calls `body` with a writable C buffer and its capacity.
    mutating func withBuffer<Result>(_ body: (UnsafeMutablePointer<CChar>, Int) -> Result) -> Result {
        storage.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
    }

    /// The NUL-terminated text the library wrote (invalid UTF-8 is repaired, not fatal).
    var text: String {
        let bytes = storage.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.isEmpty ? "unknown error" : text
    }
}
