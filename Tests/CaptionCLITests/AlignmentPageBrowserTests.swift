import Foundation
import Testing

/// Chromium, when installed, if it is: the page `caption align --html` writes must load with no
/// console message (no script error, no failed load). Skipped where no browser is installed,
/// as on most CI machines.
@Suite struct AlignmentPageBrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, "chromium is not installed"))
    func pageLoadsWithoutConsoleErrors() throws {
        let trained = try #require(TrainedShapesAligner.shared)
        let image = trained.image(try trained.files("blue", "square", "black")[1])
        let page = trained.directory.appendingPathComponent("browser.html")
        let written = try CLI.run(["align", "--model", trained.run.path, image, "a blue square on a black background",
                                   "--html", page.path])
        #expect(written.status == 0, "\(written.stderr)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.chromium!)
        let profile = trained.directory.appendingPathComponent("chromium-profile")
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
        let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "console messages:\n\(console.joined(separator: "\n"))")
        #expect(dom.contains("class=\"multiples\""), "chromium did not render the page:\n\(log.suffix(2000))")
    }
}
