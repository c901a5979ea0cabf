import Foundation
import Support

/// The HTML/CSS/JS of the pages (and the server's OpenAPI description), kept as resource files (`Sources/Application/Resources/`) so
/// they can be read and edited as web pages, not as Swift strings.
public enum PageTemplate {
    /// The resource bundle SwiftPM copies beside the executable (and the test runner).
    private static let bundleName = "caption_Application.resources"

    /// The text of the resource `name`. Looked up beside the running executable (following
    /// links), not through `Bundle.module`, which would stop the program if the bundle were
    /// missing: a binary copied away from its build folder gets one clear error instead.
    public static func text(_ name: String) throws(CaptionError) -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0])
        let folders = [Bundle.main.bundleURL, executable.deletingLastPathComponent(),
                       executable.resolvingSymlinksInPath().deletingLastPathComponent()]
        for folder in folders {
            let url = folder.appendingPathComponent(bundleName).appendingPathComponent("Resources").appendingPathComponent(name)
            if let text = try? String(contentsOf: url, encoding: .utf8) { return text }
        }
        throw .input(name, "page template not found in \(bundleName) beside the caption binary; "
                     + "keep that folder next to the binary when copying it")
    }

    /// `template` with its `{{PHOTO_PAGE_STYLE}}` slot filled with the look the pages of one
    /// photo and its words share (`Resources/photo-page.css`: the alignment and attention
    /// pages). Fill this before the page's values: the stylesheet holds `{{WIDTH}}` and
    /// `{{HEIGHT}}` slots of its own.
    public static func withPhotoPageStyle(_ template: String) throws(CaptionError) -> String {
        try HTML.fill(template, ["PHOTO_PAGE_STYLE": text("photo-page.css")])
    }
}
