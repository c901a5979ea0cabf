import Foundation

/// Chromium, when installed, loading one of our HTML pages headless: the rendered DOM and every
/// console message (script errors, failed loads). Tests that use it are skipped where no browser
/// is installed, as on most CI machines.
enum HeadlessChromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Page {
        let dom: String
        let consoleMessages: [String]
        let log: String
    }

    static func load(_ page: URL, profile: URL) throws -> Page {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
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
