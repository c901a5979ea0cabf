import Foundation
import Hummingbird
import MultipartKit

/// What a request sent: the photo's bytes and name, and its text fields (the sentences of
/// `/v1/scores` and `/v1/alignments`).
///
/// The photo comes as the raw body (of any Content-Type: the format is read from the bytes) or
/// as the `file` field of a `multipart/form-data` body, whose `sentence` fields are text. The
/// body is read up to `limit` bytes (413 past it); a client that disconnects mid-upload ends
/// the read with an error and nothing is kept.
struct Upload: Sendable {
    var photo: Data
    /// The multipart file name, else "upload": the `image` of the answer.
    var name: String
    /// Text fields in the order sent.
    var fields: [(name: String, value: String)]

    /// Form fields a request may send, besides `file`.
    static let textFields: Set<String> = ["sentence"]
    /// Longest text field, in bytes: a sentence is at most 200 words.
    static let maxFieldBytes = 16 * 1024

    static func read(_ request: Request, limit: Int) async throws -> Upload {
        let contentType = request.headers[.contentType] ?? ""
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError {
            throw error  // over the limit: 413
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // A client that hangs up mid-upload ends the stream with a parser error: a 400, not a logged internal error (was a 500).
            throw APIError.badRequest("the body ended before its end: \(error)")
        }
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            return try multipart(body, boundary: try boundary(in: contentType))
        }
        // Any other type is read as the photo itself, recognised from its bytes as on the
        // command line: `curl --data-binary @photo.jpg` sends form-urlencoded unless told.
        return Upload(photo: Data(buffer: body), name: "upload", fields: [])
    }

    /// The values of the text field `name`, in order.
    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    /// `boundary=…` of a multipart Content-Type: 1 to 70 characters (RFC 2046).
    private static func boundary(in contentType: String) throws -> String {
        guard let value = parameter("boundary", in: contentType), (1...70).contains(value.utf8.count) else {
            throw APIError.badRequest("multipart/form-data needs a boundary of 1 to 70 characters in its Content-Type")
        }
        return value
    }

    private static func multipart(_ body: ByteBuffer, boundary: String) throws -> Upload {
        var parts: [(headers: [(String, String)], body: ByteBuffer)] = []
        var headers: [(String, String)] = []
        var content = ByteBuffer()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { headers.append(($0, $1)) }
        parser.onBody = { content.writeBuffer(&$0) }
        parser.onPartComplete = {
            parts.append((headers, content))
            headers = []
            content = ByteBuffer()
        }
        guard headerNamesAreASCII(Array(body.readableBytesView), boundary: boundary) else {
            throw APIError.badRequest("a multipart part has a header name that is not ASCII")
        }
        do {
            try parser.execute(body)
        } catch {
            throw APIError.badRequest("the multipart/form-data body is malformed")
        }
        var upload = Upload(photo: Data(), name: "upload", fields: [])
        var sawFile = false
        for part in parts {
            let disposition = part.headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            guard let name = parameter("name", in: disposition) else {
                throw APIError.badRequest("a multipart part has no name (Content-Disposition: form-data; name=\"file\")")
            }
            if name == "file" {
                if sawFile { throw APIError.badRequest("send one `file` field, not several") }
                sawFile = true
                upload.photo = Data(buffer: part.body)
                if let filename = parameter("filename", in: disposition), !filename.isEmpty { upload.name = filename }
            } else if textFields.contains(name) {
                guard part.body.readableBytes <= maxFieldBytes, let value = part.body.getString(at: part.body.readerIndex,
                                                                                               length: part.body.readableBytes)
                else { throw APIError.badRequest("the `\(name)` field must be UTF-8 text of at most \(maxFieldBytes) bytes") }
                upload.fields.append((name, value))
            } else {
                throw APIError.badRequest("unknown form field `\(name)` (the fields are `file` and `sentence`)")
            }
        }
        if !sawFile { throw APIError.badRequest("the multipart body has no `file` field with the photo") }
        return upload
    }

    /// Whether every part's header names are ASCII. MultipartKit 4.7.1 looks a name's bytes up
    /// in a 128-entry table and traps on a byte ≥ 0x80, so such a body is refused before it.
    static func headerNamesAreASCII(_ bytes: [UInt8], boundary: String) -> Bool {
        let delimiter = Array("--\(boundary)".utf8)
        var index = 0
        while index + delimiter.count <= bytes.count {
            guard bytes[index..<(index + delimiter.count)].elementsEqual(delimiter) else {
                index += 1
                continue
            }
            var line = index + delimiter.count
            while line < bytes.count && bytes[line] != 10 { line += 1 }  // the rest of the delimiter line
            line += 1
            // Header lines up to the empty one: the bytes before each ':' are the name.
            while line < bytes.count && bytes[line] != 13 && bytes[line] != 10 {
                var at = line
                while at < bytes.count && bytes[at] != 58 && bytes[at] != 10 {
                    if bytes[at] >= 0x80 { return false }
                    at += 1
                }
                while at < bytes.count && bytes[at] != 10 { at += 1 }
                line = at + 1
            }
            index = line
        }
        return true
    }

    /// The value of `name=value` or `name="value"` among a header's `;`-separated parameters.
    /// Quoted values may hold `;` and `\"`; browsers write a `"` or a line break in a file name
    /// as `%22`, `%0D`, `%0A`, which are read back. `filename*=UTF-8''…` (RFC 5987) wins over
    /// `filename`.
    static func parameter(_ name: String, in header: String) -> String? {
        var parameters: [String: String] = [:]
        var characters = header.drop { $0 != ";" }.makeIterator()
        var key = "", value = "", inKey = true, quoted = false, escaped = false
        func finish() {
            let key = key.trimmingCharacters(in: .whitespaces).lowercased()
            if !key.isEmpty && parameters[key] == nil { parameters[key] = value }
        }
        while let character = characters.next() {
            if inKey {
                if character == "=" { inKey = false } else if character == ";" { key = "" } else { key.append(character) }
            } else if escaped {
                value.append(character)
                escaped = false
            } else if quoted {
                if character == "\\" { escaped = true } else if character == "\"" { quoted = false } else { value.append(character) }
            } else if character == "\"" && value.allSatisfy(\.isWhitespace) {
                (value, quoted) = ("", true)
            } else if character == ";" {
                finish()
                (key, value, inKey) = ("", "", true)
            } else {
                value.append(character)
            }
        }
        if !inKey { finish() }
        if name == "filename", let extended = parameters["filename*"], let decoded = decodeExtended(extended) { return decoded }
        guard let found = parameters[name] else { return nil }
        let trimmed = found.trimmingCharacters(in: .whitespaces)
        return name == "filename"
            ? trimmed.replacingOccurrences(of: "%22", with: "\"").replacingOccurrences(of: "%0D", with: "\r")
                .replacingOccurrences(of: "%0A", with: "\n")
            : trimmed
    }

    /// `UTF-8''caf%C3%A9.jpg` → `café.jpg`.
    private static func decodeExtended(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return String(pieces[2]).removingPercentEncoding
    }
}
