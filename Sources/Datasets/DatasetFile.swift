import Foundation

/// Reads the files datasets are made of with uniform error reporting and tolerance for how
/// text files get mangled in practice: a UTF-8 byte-order mark, CRLF line endings, blank
/// lines and trailing whitespace.
enum DatasetFile {
    /// One line of a text file with its 1-based number (for error messages), whitespace-trimmed.
    struct Line {
        let number: Int
        let text: Substring
    }

    /// The file's bytes without a leading UTF-8 byte-order mark.
    static func data(at url: URL) throws(DatasetError) -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .missingFile(url)
        }
        if isDirectory.boolValue {
            throw .unreadableFile(url, reason: "is a directory, expected a file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(url, reason: error.localizedDescription)
        }
        if data.starts(with: [0xEF, 0xBB, 0xBF]) {
            return data.dropFirst(3)
        }
        return data
    }

    /// The non-blank lines of a UTF-8 text file, trimmed, with their line numbers.
    static func lines(at url: URL) throws(DatasetError) -> [Line] {
        let data = try data(at: url)
        // `withUnsafeBytes` can't throw a typed error, so nil stands for invalid UTF-8.
        let lines = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Line]? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard String(validating: bytes, as: UTF8.self) != nil else {
                return nil
            }
            // Cutting the validated bytes at LF is several times faster than splitting a String
            // (whose index arithmetic is per-grapheme or per-scalar), and sees "\r\n" as a line
            // end too, which Character-based splitting wouldn't ("\r\n" is one Character).
            var lines: [Line] = []
            var number = 0
            var lineStart = 0
            while lineStart <= bytes.count {
                number += 1
                let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                if let line = trimmedLine(bytes[lineStart..<lineEnd]) {
                    lines.append(Line(number: number, text: line))
                }
                lineStart = lineEnd + 1
            }
            return lines
        }
        guard let lines else {
            throw .invalidUTF8(url)
        }
        return lines
    }

    /// The line without surrounding whitespace, or nil when nothing else is left. ASCII
    /// whitespace (including the `\r` of CRLF) is trimmed on bytes; Unicode spaces only when
    /// a line begins or ends with a non-ASCII byte.
    private static func trimmedLine(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> Substring? {
        func isASCIIWhitespace(_ byte: UInt8) -> Bool {
            byte == 0x20 || (0x09...0x0D).contains(byte)
        }
        guard let first = line.firstIndex(where: { !isASCIIWhitespace($0) }),
              let last = line.lastIndex(where: { !isASCIIWhitespace($0) }) else {
            return nil
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: line[first...last]), as: UTF8.self)
        guard line[first] >= 0x80 || line[last] >= 0x80 else {
            return Substring(text)
        }
        let trimmed = Substring(text).trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }
}

extension Substring {
    /// Without leading and trailing Unicode whitespace (which includes `\r`). Plain ASCII
    /// ends, the usual case, are trimmed on bytes without Unicode property lookups.
    func trimmingWhitespace() -> Substring {
        let bytes = utf8
        guard let firstByte = bytes.firstIndex(where: { !Self.isASCIIWhitespace($0) }),
              let lastByte = bytes.lastIndex(where: { !Self.isASCIIWhitespace($0) }) else {
            return self[endIndex...]
        }
        if bytes[firstByte] < 0x80, bytes[lastByte] < 0x80 {
            return self[firstByte..<bytes.index(after: lastByte)]
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else {
            return self[endIndex...]
        }
        return Substring(scalars[first...last])
    }

    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }
}
