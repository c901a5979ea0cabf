import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `caption serve` running as a user starts it: on a free loopback port (`--port 0`, the port
/// read from its "listening on" line), answering HTTP requests until `stop()` sends SIGTERM.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let url: URL
    private let output: StderrCollector

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `caption serve --port 0 <arguments>` and waits (at most `timeout` s) for it to listen.
    init(_ arguments: [String] = [], timeout: TimeInterval = 60) throws {
        let pipe = Pipe()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--port", "0"] + arguments
        process.currentDirectoryURL = CLI.repository
        // A token in the developer's environment would make every server here demand it.
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "CAPTION_TOKEN" }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        output = StderrCollector(pipe.fileHandleForReading)
        guard let found = output.waitForURL(timeout: timeout) else {
            process.terminate()
            throw StartFailure(description: "caption serve did not start listening: \(output.text)")
        }
        url = found
    }

    /// Reads the server's stderr on its own thread, noting the URL of its "listening on" line.
    private final class StderrCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private var url: URL?
        private let listening = DispatchSemaphore(value: 0)

        init(_ reader: FileHandle) {
            Thread.detachNewThread { [self] in
                var found = false
                while true {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    lock.lock()
                    data.append(chunk)
                    let text = String(decoding: data, as: UTF8.self)
                    if !found, let range = text.range(of: #"listening on http://\S+"#, options: .regularExpression) {
                        url = URL(string: String(text[range].dropFirst("listening on ".count)))
                        found = true
                        listening.signal()
                    }
                    lock.unlock()
                }
                if !found { listening.signal() }  // it exited without listening
            }
        }

        var text: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: data, as: UTF8.self)
        }

        func waitForURL(timeout: TimeInterval) -> URL? {
            _ = listening.wait(timeout: .now() + timeout)
            lock.lock()
            defer { lock.unlock() }
            return url
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// Everything the server printed on stderr so far.
    var stderr: String { output.text }

    /// Sends SIGTERM and waits for the exit; returns the exit status (nil: still running after `timeout` s).
    @discardableResult
    func stop(timeout: TimeInterval = 60) -> Int32? {
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Peak resident memory of the server so far, in bytes (`VmHWM`).
    var peakResidentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as a JSON object, or nil.
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    /// One request, answered synchronously (a fresh session each time, so tests may run them
    /// from many threads at once).
    func request(_ method: String = "GET", _ path: String, body: Data? = nil, headers: [String: String] = [:],
                 timeout: TimeInterval = 120) throws -> Answer {
        var request = URLRequest(url: URL(string: path, relativeTo: url)!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = timeout
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<Answer, any Error> = .failure(URLError(.unknown))
        let session = URLSession(configuration: .ephemeral)
        session.dataTask(with: request) { data, response, error in
            if let error {
                result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
                result = .success(Answer(status: http.statusCode, headers: fields, body: data ?? Data()))
            }
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        return try result.get()
    }

    /// A photo uploaded as the raw body.
    func post(_ path: String, photo: Data, contentType: String = "image/jpeg", headers: [String: String] = [:]) throws -> Answer {
        try request("POST", path, body: photo, headers: headers.merging(["Content-Type": contentType]) { $1 })
    }

    /// A multipart/form-data upload: the photo as `file`, then text fields in order.
    func postForm(_ path: String, photo: Data, filename: String = "photo.jpg", fields: [(String, String)] = [],
                  headers: [String: String] = [:]) throws -> Answer {
        let boundary = "caption-test-\(UUID().uuidString)"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n".utf8)
        body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8) + photo + Data("\r\n".utf8)
        for (name, value) in fields {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return try request("POST", path, body: body,
                           headers: headers.merging(["Content-Type": "multipart/form-data; boundary=\(boundary)"]) { $1 })
    }
}

extension ServerProcess {
    /// A client that hangs up mid-request: opens a TCP connection to the server, writes `bytes`
    /// (say a head promising a long body, and part of it), then closes without reading.
    func sendAndHangUp(_ bytes: Data) throws {
        struct SocketFailure: Error, CustomStringConvertible {
            var description: String
        }
        guard let host = url.host, let port = url.port else { throw SocketFailure(description: "no host and port in \(url)") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketFailure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw SocketFailure(description: "not an IPv4 address: \(host)") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SocketFailure(description: "connect: errno \(errno)") }
        var sent = 0
        try bytes.withUnsafeBytes { buffer in
            while sent < buffer.count {
                let n = send(fd, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw SocketFailure(description: "send: errno \(errno)") }
                sent += n
            }
        }
    }
}
