import Application
import Foundation
import ImageDecoding
import Testing

/// The attention page (`caption attend --html`) rendered in Chromium from a flat gray photo and
/// synthetic maps: the photo loads in every panel, the panels do not overlap, each panel is
/// brightest in the cell where its word's map peaks, pointing at a word shows its map, and the
/// console stays empty. The page is built through `AttentionPage` itself, so the test needs no
/// trained attention model.
@Suite(.serialized) struct AttentionPageBrowserTests {
    static let width = 280, height = 210
    /// The photo's one color: on the page, every difference in brightness is the covers'.
    static let gray: UInt8 = 200
    static let words = ["a", "dog", "runs", "on", "the", "<b>grass</b>"]

    /// A smooth bump over `grid × grid` cells centered on cell `peak` (Gaussian, σ = 1 cell, over
    /// a floor of 0.002), normalized to sum to 1, as a trained model's soft attention looks.
    static func bump(at peak: Int, grid: Int) -> [Float] {
        let raw = (0..<grid * grid).map { cell -> Float in
            let dr = Float(cell / grid - peak / grid), dc = Float(cell % grid - peak % grid)
            return exp(-(dr * dr + dc * dc) / 2) + 0.002
        }
        let sum = raw.reduce(0, +)
        return raw.map { $0 / sum }
    }

    /// One peak per word and `<end>`: the four corners, the middle of an edge, the center, and
    /// one cell off the diagonal.
    static func peaks(grid: Int) -> [Int] {
        let last = grid - 1
        return [0, last, grid * last, grid * grid - 1, grid * (grid / 2), (grid / 2) * grid + grid / 2, 2 * grid + 4]
    }

    @Test(arguments: [7, 14])
    func eachPanelIsBrightestWhereItsWordsMapPeaks(grid: Int) throws {
        let photo = Image(width: Self.width, height: Self.height,
                          pixels: [UInt8](repeating: Self.gray, count: Self.width * Self.height * 3))
        let photoFile = PNGWriter.encode(width: Self.width, height: Self.height) { _, _ in [Self.gray, Self.gray, Self.gray] }
        let peaks = Self.peaks(grid: grid)
        let page = try AttentionPage(imageName: "gray.png", photoFile: photoFile, photo: photo,
                                     caption: Self.words.joined(separator: " "), words: Self.words,
                                     attention: peaks.map { Self.bump(at: $0, grid: grid) }, grid: grid,
                                     logProbabilities: [-0.2, -0.7, -1.5, -0.4, -0.1, -2.3, -0.05])
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("attention.html")
        try page.html.write(to: file, atomically: true, encoding: .utf8)

        let browser = try ChromiumDevTools()
        defer { browser.close() }
        try browser.open(file, width: 1280, height: 900)

        // Every photo on the page draws the embedded photo, and it decodes at its size.
        let decodedWidths = try browser.evaluate("""
            Promise.all(Array.from(document.querySelectorAll('.photo')).map(function (e) {
              var image = new Image();
              image.src = getComputedStyle(e).backgroundImage.slice(5, -2);
              return image.decode().then(function () { return image.naturalWidth; }, function () { return 0; });
            }))
            """) as? [Int] ?? []
        #expect(decodedWidths.count == peaks.count + 1 && decodedWidths.allSatisfy { $0 == Self.width },
                "naturalWidth of each photo: \(decodedWidths)")

        // The panels: one per word and <end>, none overlapping another, each photo at the photo's aspect ratio.
        let rects = try browser.evaluate("""
            Array.from(document.querySelectorAll('figure')).map(function (f) {
              var a = f.getBoundingClientRect(), p = f.querySelector('.photo').getBoundingClientRect();
              return [a.left, a.top, a.right, a.bottom, p.left + scrollX, p.top + scrollY, p.width, p.height];
            })
            """) as? [[Double]] ?? []
        try #require(rects.count == peaks.count, "\(rects.count) panels")
        for i in rects.indices {
            for j in rects.indices where j > i {
                let a = rects[i], b = rects[j]
                let apart = a[2] <= b[0] + 0.5 || b[2] <= a[0] + 0.5 || a[3] <= b[1] + 0.5 || b[3] <= a[1] + 0.5
                #expect(apart, "panels \(i) and \(j) overlap: \(a.prefix(4)) and \(b.prefix(4))")
            }
            #expect(abs(rects[i][6] / rects[i][7] - Double(Self.width) / Double(Self.height)) < 0.02)
        }

        // In the rendered pixels, each panel's brightest cell is its map's peak: the covers sit
        // on the right cells, and the blur moves no peak.
        let shot = try browser.screenshot()
        try shot.write(to: FileManager.default.temporaryDirectory.appendingPathComponent("attention-page-\(grid).png"))
        let image = try ImageDecoder.decode(shot)
        for (panel, rect) in rects.enumerated() {
            let brightness = (0..<grid * grid).map { cell in
                Self.meanBrightness(image, left: rect[4] + rect[6] * (Double(cell % grid) + 0.25) / Double(grid),
                                    top: rect[5] + rect[7] * (Double(cell / grid) + 0.25) / Double(grid),
                                    width: rect[6] * 0.5 / Double(grid), height: rect[7] * 0.5 / Double(grid))
            }
            let brightest = brightness.indices.max { brightness[$0] < brightness[$1] }!
            #expect(brightest == peaks[panel], "panel \(panel): brightest cell \(brightest), the map peaks at \(peaks[panel])")
            // The peak shows the photo nearly as it is; far cells are covered at 0.8.
            #expect(brightness[brightest] > Double(Self.gray) * 0.8, "panel \(panel): peak brightness \(brightness[brightest])")
            #expect(brightness.min()! < Double(Self.gray) * 0.35, "panel \(panel): darkest \(brightness.min()!)")
        }

        // Pointing at a word marks its panel and shows its map over the big photo; leaving clears both.
        try browser.evaluate("document.querySelector('.word[data-word=\"2\"]').dispatchEvent(new MouseEvent('mouseenter'))")
        #expect(try browser.evaluate("document.querySelector('figure[data-word=\"2\"]').classList.contains('active')") as? Bool == true)
        #expect(try browser.evaluate("document.querySelectorAll('.main .photo .attention').length") as? Int == 1)
        try browser.evaluate("document.querySelector('.word[data-word=\"2\"]').dispatchEvent(new MouseEvent('mouseleave'))")
        #expect(try browser.evaluate("document.querySelectorAll('.main .photo .attention, figure.active').length") as? Int == 0)
        // The hostile word is text, not markup.
        #expect(try browser.evaluate("document.querySelectorAll('b').length") as? Int == 0)

        #expect(browser.consoleProblems.isEmpty, "console:\n\(browser.consoleProblems.joined(separator: "\n"))")
    }

    /// The mean of (R + G + B) / 3 over a rectangle of the screenshot, in its pixels.
    static func meanBrightness(_ image: Image, left: Double, top: Double, width: Double, height: Double) -> Double {
        let x0 = max(0, Int(left.rounded())), y0 = max(0, Int(top.rounded()))
        let x1 = min(image.width, max(x0 + 1, Int((left + width).rounded())))
        let y1 = min(image.height, max(y0 + 1, Int((top + height).rounded())))
        var sum = 0, count = 0
        for y in y0..<y1 {
            for x in x0..<x1 {
                let i = (y * image.width + x) * 3
                sum += Int(image.pixels[i]) + Int(image.pixels[i + 1]) + Int(image.pixels[i + 2])
                count += 1
            }
        }
        return Double(sum) / Double(3 * max(1, count))
    }
}
