import Foundation
import Testing

/// The page `caption align --html` writes must load in Chromium with no console message (no
/// script error, no failed load).
@Suite struct AlignmentPageBrowserTests {
    @Test
    func pageLoadsWithoutConsoleErrors() throws {
        let trained = try #require(TrainedShapesAligner.shared)
        let image = trained.image(try trained.files("blue", "square", "black")[1])
        let page = trained.directory.appendingPathComponent("browser.html")
        let written = try CLI.run(["align", "--model", trained.run.path, image, "a blue square on a black background",
                                   "--html", page.path])
        #expect(written.status == 0, "\(written.stderr)")
        let loaded = try HeadlessChromium.load(page, profile: trained.directory.appendingPathComponent("chromium-profile"))
        #expect(loaded.consoleMessages.isEmpty, "console messages:\n\(loaded.consoleMessages.joined(separator: "\n"))")
        #expect(loaded.dom.contains("class=\"multiples\""), "chromium did not render the page:\n\(loaded.log.suffix(2000))")
    }
}
