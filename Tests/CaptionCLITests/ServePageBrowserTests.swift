import Foundation
import Testing

/// The page `caption serve` answers at `/`, used in headless Chromium as a person would: choose
/// a photo in the file input, read its caption, press a word to box its region, score a
/// sentence, give the token after a 401. Serialized: each test runs a server and a browser.
@Suite(.serialized) struct ServePageBrowserTests {
    static let photo = CLI.repository.appendingPathComponent("examples/chelsea.jpg")

    @Test
    func captionsThePhotoBoxesAWordAndScoresASentence() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let bytes = try Data(contentsOf: Self.photo)
        let api = try server.postForm("/v1/captions?n_best=3", photo: bytes, filename: "chelsea.jpg")
        let caption = try #require(api.json?["caption"] as? String, "\(api.status) \(api.text)")
        let words = caption.split(separator: " ").map(String.init)
        try #require(words.count >= 3)

        let browser = try ChromiumDevTools()
        defer { browser.close() }
        try browser.open(server.url)
        try browser.setFiles("#file", [Self.photo])
        let shown = try browser.waitFor("document.querySelector('#caption .word') && document.querySelector('#caption').textContent",
                                        what: "the caption")
        #expect(shown as? String == caption, "the API's caption: \(caption)")
        #expect(try browser.evaluate("document.querySelectorAll('#beams li').length") as? Int == 3)
        #expect(try browser.evaluate("document.querySelector('#confidence').textContent.indexOf('Confidence') === 0") as? Bool == true)
        // The photo shown is the chosen file itself, never fetched from the server.
        let photo = "document.querySelector('#photo')"
        #expect(try browser.evaluate("\(photo).src.startsWith('blob:') && \(photo).naturalWidth > 0") as? Bool == true)

        // A click on a word boxes its region, inside the photo.
        let label = "document.querySelector('#photo-frame .box .labels span')?.textContent"
        try browser.evaluate("document.querySelectorAll('#caption .word')[1].click()")
        #expect(try browser.waitFor(label, what: "the region box of \(words[1])") as? String == words[1])
        #expect(try browser.evaluate("""
            (function () {
              var p = \(photo).getBoundingClientRect(), b = document.querySelector('#photo-frame .box').getBoundingClientRect();
              return b.width > 0 && b.left >= p.left - 0.5 && b.right <= p.right + 0.5
                && b.top >= p.top - 0.5 && b.bottom <= p.bottom + 0.5;
            })()
            """) as? Bool == true)
        // The keyboard alone: Enter on the next word moves the box to it; Space on it removes it.
        try browser.evaluate("document.querySelectorAll('#caption .word')[2].focus()")
        try browser.press(key: "Enter", code: 13)
        try browser.waitFor("\(label) === \(Self.js(words[2]))", what: "the box of \(words[2])")
        #expect(try browser.evaluate("document.querySelectorAll('#photo-frame .box').length") as? Int == 1)
        try browser.screenshot().write(to: FileManager.default.temporaryDirectory.appendingPathComponent("serve-page.png"))
        try browser.press(key: " ", code: 32)
        try browser.waitFor("document.querySelectorAll('#photo-frame .box').length === 0", what: "Space to remove the box")

        // A sentence typed and scored shows S and S / words, as the API computes them.
        let sentence = "a dog plays with a ball"
        let scores = try server.postForm("/v1/scores", photo: bytes, fields: [("sentence", sentence)])
        let expected = try #require((scores.json?["scores"] as? [[String: Any]])?.first, "\(scores.text)")
        try browser.evaluate("document.querySelector('#sentence').value = \(Self.js(sentence)); "
                             + "document.querySelector('#score-form button').click()")
        let scored = try browser.waitFor("document.querySelector('#scores li')?.textContent",
                                         what: "the sentence's score") as? String ?? ""
        // Compared as numbers: the page rounds to 3 decimals.
        let shownNumbers = scored.replacingOccurrences(of: "\u{2212}", with: "-").split(separator: "=").dropFirst()
            .compactMap { Double($0.split(separator: " ").first ?? "") }
        let apiNumbers = [expected["score"], expected["normalized"]].map { $0 as? Double ?? .nan }
        #expect(shownNumbers.count == 2 && zip(shownNumbers, apiNumbers).allSatisfy { abs($0 - $1) <= 0.0006 },
                "the page shows \(scored); the API says S = \(apiNumbers[0]), S / words = \(apiNumbers[1])")

        // Readable at 360 px, with no sideways scrolling (the desktop screenshot is above).
        try browser.resize(width: 360, height: 780, mobile: true)
        try browser.evaluate("document.querySelectorAll('#caption .word')[1].click()")
        try browser.waitFor(label, what: "the region box at 360 px")
        #expect(try browser.evaluate("document.documentElement.scrollWidth") as? Int == 360)
        try browser.screenshot().write(to: FileManager.default.temporaryDirectory.appendingPathComponent("serve-page-360.png"))
        try browser.resize(width: 1280, height: 900)

        // A hostile file name is shown as text: no element made from it, no script run.
        let hostile = "<img src=x onerror=alert(1)>.jpg"
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent(hostile)
        try bytes.write(to: copy)
        try browser.evaluate("window.alerted = false; window.alert = function () { window.alerted = true; }; "
                             + "window.oldWord = document.querySelector('#caption .word');")
        try browser.setFiles("#file", [copy])
        try browser.waitFor("document.querySelector('#caption .word') !== window.oldWord && document.querySelector('#caption .word')",
                            what: "the caption of the photo with a hostile name")
        #expect(try browser.evaluate("document.querySelector('#name').textContent") as? String == hostile)
        #expect(try browser.evaluate("document.querySelectorAll('img[src=x], img[src=\"x\"]').length") as? Int == 0)
        #expect(try browser.evaluate("window.alerted") as? Bool == false)
        #expect(try browser.evaluate("document.querySelector('#caption').textContent") as? String == caption)

        #expect(browser.consoleProblems.isEmpty, "console:\n\(browser.consoleProblems.joined(separator: "\n"))")
    }

    @Test
    func asksForTheTokenAfterA401AndShowsTheServersErrors() throws {
        let server = try ServerProcess(["--token", "s3cret"])
        defer { server.stop() }
        let browser = try ChromiumDevTools()
        defer { browser.close() }
        try browser.open(server.url)
        try browser.setFiles("#file", [Self.photo])
        try browser.waitFor("!document.querySelector('#token-form').hidden && document.activeElement.id === 'token'",
                            what: "the token field, focused")
        let alert = try browser.evaluate("document.querySelector('[role=alert]').textContent") as? String ?? ""
        #expect(alert.contains("Authorization: Bearer"), "\(alert)")

        // The waiting request goes again with the token and captions the photo.
        try browser.evaluate("document.querySelector('#token').value = 's3cret'; document.querySelector('#token-form button').click()")
        try browser.waitFor("document.querySelector('#caption .word')", what: "the caption after the token")
        #expect(try browser.evaluate("document.querySelector('#token-form').hidden") as? Bool == true)
        #expect(try browser.evaluate("document.querySelector('#error').textContent") as? String == "")

        // A file that is no photo: the server's own message in the alert.
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notes = folder.appendingPathComponent("notes.jpg")
        try Data("not a photo\n".utf8).write(to: notes)
        let refused = try server.postForm("/v1/captions?n_best=3", photo: Data(contentsOf: notes), filename: "notes.jpg",
                                          headers: ["Authorization": "Bearer s3cret"])
        let message = try #require(refused.json?["error"] as? String, "\(refused.status) \(refused.text)")
        try browser.setFiles("#file", [notes])
        let shown = try browser.waitFor("document.querySelector('[role=alert]').textContent", what: "the error") as? String
        #expect(shown == message)

        // The only console lines are the browser's own notes of the 401 and the 415.
        let unexpected = browser.consoleProblems.filter {
            !$0.contains("status of 401") && !$0.contains("status of \(refused.status)")
        }
        #expect(unexpected.isEmpty, "console:\n\(unexpected.joined(separator: "\n"))")
    }

    /// `text` as a JavaScript string literal.
    static func js(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
