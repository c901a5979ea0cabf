import Foundation

/// Reads a text stream line by line in fixed-size chunks, so a 10,000-line (or endless, piped)
/// input never sits in memory whole. Lines end at `\n`; a `\r` before it is dropped. A line
/// longer than `maximumBytes` is not kept: it comes back as `.tooLong` and the reader skips to
/// the next line break, so one runaway line cannot exhaust memory either.
public final class LineReader {
    public enum Line {
        case text(String)
        case tooLong(bytes: Int)
    }

    private let handle: FileHandle
    private let maximumBytes: Int
    private let chunkSize = 64 * 1024
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false

    public init(handle: FileHandle, maximumBytes: Int = 1 << 20) {
        self.handle = handle
        self.maximumBytes = maximumBytes
    }

    /// The next line, or nil at the end of the input. A last line without `\n` still counts;
    /// an input that ends with `\n` has no empty line after it.
    public func next() -> Line? {
        var line: [UInt8] = []
        var dropped = 0
        while true {
            if position == buffer.count {
                if atEnd || !refill() {
                    if line.isEmpty && dropped == 0 { return nil }
                    return finish(line, dropped: dropped)
                }
            }
            let available = buffer[position...]
            if let newline = available.firstIndex(of: UInt8(ascii: "\n")) {
                append(buffer[position..<newline], to: &line, dropped: &dropped)
                position = newline + 1
                return finish(line, dropped: dropped)
            }
            append(available, to: &line, dropped: &dropped)
            position = buffer.count
        }
    }

    private func append(_ bytes: ArraySlice<UInt8>, to line: inout [UInt8], dropped: inout Int) {
        if dropped > 0 || line.count + bytes.count > maximumBytes {
            dropped += line.count + bytes.count
            line.removeAll()
        } else {
            line += bytes
        }
    }

    private func finish(_ line: [UInt8], dropped: Int) -> Line {
        if dropped > 0 { return .tooLong(bytes: dropped) }
        let body = line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]
        return .text(String(decoding: body, as: UTF8.self))
    }

    private func refill() -> Bool {
        let data = (try? handle.read(upToCount: chunkSize)) ?? nil
        guard let data, !data.isEmpty else {
            atEnd = true
            return false
        }
        buffer = Array(data)
        position = 0
        return true
    }
}
