import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol, for pages that need a person's actions
/// (`--dump-dom` cannot choose a file or click).
///
/// `--remote-debugging-pipe` makes Chromium read JSON commands on fd 3 and write replies and
/// events on fd 4, each message ended by a NUL byte: no websocket, no port. Foundation's
/// `Process` cannot hand a child fds 3 and 4, so Chromium is started with `posix_spawn`, both
/// fds one end of a socket pair (sends use `MSG_NOSIGNAL`, so a dead browser is an error, not a
/// SIGPIPE). It runs in its own process group, which `close()` kills whole: no renderer or GPU
/// process outlives a test.
final class ChromiumDevTools: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let pid: pid_t
    private let socket: Int32
    private let profile: URL
    private let inbox = Inbox()
    private var lastID = 0
    private var closed = false
    /// The page's session (`Target.attachToTarget` with `flatten`), once `open` has run.
    private var session: String?

    /// Starts Chromium with a fresh profile; `open` then loads a page in it.
    init() throws {
        guard let path = HeadlessChromium.path else { throw HeadlessChromium.Missing() }
        // glibc 2.34+; Swift's Glibc module does not declare it.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            throw Failure(description: "posix_spawn_file_actions_addclosefrom_np is missing: glibc 2.34 or newer is needed")
        }
        let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("caption-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)

        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw Failure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        // Chromium's end above 4, so that dup2 onto 3 and 4 always copies (and clears close-on-exec).
        let theirs = fcntl(pair[1], F_DUPFD_CLOEXEC, 10)
        Glibc.close(pair[1])
        socket = pair[0]
        defer { Glibc.close(theirs) }
        guard theirs >= 0 else {
            Glibc.close(socket)
            throw Failure(description: "fcntl: \(String(cString: strerror(errno)))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, theirs, 3)
        posix_spawn_file_actions_adddup2(&actions, theirs, 4)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, profile.appendingPathComponent("stderr.log").path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Nothing else of the test process: another test's pipe held open by Chromium would
        // never reach end of file.
        _ = closeFrom(&actions, 5)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var signals = sigset_t(), none = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, signal) }
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setsigmask(&attributes, &none)

        let arguments = [path, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                         "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check",
                         "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                         "--mute-audio", "about:blank"]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, path, &actions, &attributes, &argv, environ)
        guard spawned == 0 else {
            Glibc.close(socket)
            try? FileManager.default.removeItem(at: profile)
            throw Failure(description: "posix_spawn \(path): \(String(cString: strerror(spawned)))")
        }
        pid = child
        // The reader holds the inbox, not `self`, so a test that drops the browser still ends it (deinit).
        Thread.detachNewThread { [inbox, socket] in inbox.read(socket) }
    }

    deinit { close() }

    /// Kills Chromium's whole process group, reaps it and removes the profile. Idempotent.
    func close() {
        let already = inbox.locked { () -> Bool in
            defer { closed = true }
            return closed
        }
        if already { return }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // Ends the reader's recv even if a stray process still held Chromium's end; the fd is
        // closed only once the reader has stopped using it.
        shutdown(socket, Int32(SHUT_RDWR))
        inbox.waitForEnd(timeout: 10)
        Glibc.close(socket)
        try? FileManager.default.removeItem(at: profile)
    }

    // MARK: The protocol

    /// Sends one command (to the page's session unless `browser`) and waits for its result.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], browser: Bool = false,
              timeout: TimeInterval = 30) throws -> [String: Any] {
        let id = inbox.locked { () -> Int in
            lastID += 1
            return lastID
        }
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if !browser {
            guard let session else { throw Failure(description: "\(method): no page is open") }
            message["sessionId"] = session
        }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw Failure(description: "\(method): chromium is gone (\(String(cString: strerror(errno))))\n\(log)")
            }
            sent += n
        }
        guard let reply = inbox.reply(to: id, timeout: timeout) else {
            throw Failure(description: "\(method): no answer from chromium within \(Int(timeout)) s\n\(log)")
        }
        if let error = reply["error"] as? [String: Any] {
            throw Failure(description: "\(method): \(error["message"] ?? error)")
        }
        return reply["result"] as? [String: Any] ?? [:]
    }

    /// What Chromium printed on stderr, for failure messages.
    var log: String {
        let text = (try? String(contentsOf: profile.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
        return text.isEmpty ? "" : "chromium's stderr:\n\(text.suffix(3000))"
    }

    // MARK: Page actions

    /// Opens `url` in a new tab, recording its console, and waits until it has loaded.
    func open(_ url: URL, width: Int = 1280, height: Int = 900) throws {
        let target = try call("Target.createTarget", ["url": "about:blank"], browser: true)
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "Target.createTarget: no targetId") }
        let attached = try call("Target.attachToTarget", ["targetId": targetID, "flatten": true], browser: true)
        session = attached["sessionId"] as? String
        try call("Runtime.enable")
        try call("Log.enable")
        try call("Page.enable")
        try resize(width: width, height: height)
        let navigated = try call("Page.navigate", ["url": url.absoluteString])
        if let problem = navigated["errorText"] as? String { throw Failure(description: "cannot load \(url): \(problem)") }
        try waitFor("document.readyState === 'complete'", what: "the page to load")
    }

    /// The page as a screen `width` CSS pixels wide.
    func resize(width: Int, height: Int, mobile: Bool = false) throws {
        try call("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile])
    }

    /// The value of a JavaScript expression (promises awaited); a thrown exception fails.
    @discardableResult
    func evaluate(_ expression: String) throws -> Any? {
        let result = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let thrown = (exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? exception
            throw Failure(description: "\(expression): \(thrown)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls `expression` until it is truthy and returns its value; after `timeout` s fails
    /// with the page's text, so a failure shows what the page showed instead.
    @discardableResult
    func waitFor(_ expression: String, what: String, timeout: TimeInterval = 60) throws -> Any {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let value = try evaluate("(function () { var v = (\(expression)); return v ? v : null; })()")
            if let value, !(value is NSNull) { return value }
            if Date() > deadline {
                let text = (try? evaluate("document.body ? document.body.innerText : ''")) as? String ?? ""
                throw Failure(description: "waited \(Int(timeout)) s for \(what); the page reads:\n\(text)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Chooses `files` in the file input `selector`, as a person would (its change event fires).
    func setFiles(_ selector: String, _ files: [URL]) throws {
        let document = try call("DOM.getDocument", ["depth": 0])
        guard let root = (document["root"] as? [String: Any])?["nodeId"] as? Int else {
            throw Failure(description: "DOM.getDocument: no root node")
        }
        let found = try call("DOM.querySelector", ["nodeId": root, "selector": selector])
        guard let node = found["nodeId"] as? Int, node != 0 else { throw Failure(description: "no element matches \(selector)") }
        try call("DOM.setFileInputFiles", ["nodeId": node, "files": files.map(\.path)])
    }

    /// One key pressed and released, as a keyboard would (to the focused element).
    func press(key: String, code: Int) throws {
        let text = key == "Enter" ? "\r" : key == " " ? " " : ""
        try call("Input.dispatchKeyEvent", ["type": "keyDown", "key": key, "code": key == " " ? "Space" : key,
                                            "windowsVirtualKeyCode": code, "text": text])
        try call("Input.dispatchKeyEvent", ["type": "keyUp", "key": key, "code": key == " " ? "Space" : key,
                                            "windowsVirtualKeyCode": code])
    }

    /// The whole page (beyond the window's height) as a PNG.
    func screenshot() throws -> Data {
        let metrics = try call("Page.getLayoutMetrics")
        let size = metrics["cssContentSize"] as? [String: Any] ?? [:]
        let width = size["width"] as? Double ?? 1280, height = size["height"] as? Double ?? 900
        let shot = try call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true,
                                                       "clip": ["x": 0, "y": 0, "width": width, "height": height, "scale": 1]])
        guard let base64 = shot["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw Failure(description: "Page.captureScreenshot: no image")
        }
        return data
    }

    /// Script errors, uncaught exceptions and error log entries (failed loads, CSP violations)
    /// seen so far, one line each.
    var consoleProblems: [String] {
        inbox.locked { inbox.events }.compactMap { event -> String? in
            let params = event["params"] as? [String: Any] ?? [:]
            switch event["method"] as? String {
            case "Runtime.exceptionThrown":
                let details = params["exceptionDetails"] as? [String: Any] ?? [:]
                let exception = (details["exception"] as? [String: Any])?["description"] ?? details["text"] ?? ""
                return "exception: \(exception)"
            case "Runtime.consoleAPICalled" where ["error", "assert"].contains(params["type"] as? String ?? ""):
                let values = (params["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
                return "console.\(params["type"] ?? ""): \(values.joined(separator: " "))"
            case "Log.entryAdded":
                let entry = params["entry"] as? [String: Any] ?? [:]
                guard entry["level"] as? String == "error" else { return nil }
                return "\(entry["source"] ?? "log") error: \(entry["text"] ?? "") \(entry["url"] ?? "")"
            default:
                return nil
            }
        }
    }

    /// What Chromium sent: replies by id and events in order, filled by the reader thread.
    private final class Inbox: @unchecked Sendable {
        private let condition = NSCondition()
        private var replies: [Int: [String: Any]] = [:]
        var events: [[String: Any]] = []
        private var ended = false

        func locked<T>(_ body: () -> T) -> T {
            condition.lock()
            defer { condition.unlock() }
            return body()
        }

        /// Reads NUL-terminated JSON messages from `socket` until Chromium's end closes.
        func read(_ socket: Int32) {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending += buffer[..<n]
                while let end = pending.firstIndex(of: 0) {
                    let object = try? JSONSerialization.jsonObject(with: Data(pending[..<end])) as? [String: Any]
                    pending.removeSubrange(...end)
                    guard let object else { continue }
                    locked {
                        if let id = object["id"] as? Int { replies[id] = object } else { events.append(object) }
                        condition.broadcast()
                    }
                }
            }
            locked {
                ended = true
                condition.broadcast()
            }
        }

        /// The reply to command `id`, or nil if none came within `timeout` s or Chromium ended.
        func reply(to id: Int, timeout: TimeInterval) -> [String: Any]? {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date().addingTimeInterval(timeout)
            while replies[id] == nil && !ended && condition.wait(until: deadline) {}
            return replies.removeValue(forKey: id)
        }

        func waitForEnd(timeout: TimeInterval) {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date().addingTimeInterval(timeout)
            while !ended && condition.wait(until: deadline) {}
        }
    }
}
