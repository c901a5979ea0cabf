import Foundation

/// Chromium loading one of our HTML pages headless: the rendered DOM and every console message
/// (script errors, failed loads). `scripts/test` installs Chromium where it is missing, so the
/// browser tests always run; without it they fail, never skip.
enum HeadlessChromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Page {
        let dom: String
        let consoleMessages: [String]
        let log: String
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "chromium is not installed: run scripts/test, which installs it (apt-get install chromium)" }
    }

    static func load(_ page: URL, profile: URL) throws -> Page {
        guard let path else { throw Missing() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=\(profile.path)", "--dump-dom", page.absoluteString]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        group.wait()
        process.waitUntilExit()
        let log = String(decoding: errData, as: UTF8.self)
        return Page(dom: dom, consoleMessages: log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init),
                    log: log)
    }
}
