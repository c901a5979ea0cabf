import Application
import Foundation
import ImageDecoding
import Testing

/// The attention page (`caption attend --html`): a panel per word and `<end>`, every text
/// escaped, covers darkest where attention is lowest, and maps that do not fit refused.
@Suite struct AttentionPageTests {
    static let hostileName = "<img src=x onerror=alert(1)>'\".jpg"
    static let photo = Image(width: 8, height: 6, pixels: [UInt8](repeating: 180, count: 8 * 6 * 3))
    static let photoFile = Data(try! JPEGEncoder.encode(photo))

    /// A map over `grid × grid` cells peaking at `peak`: weight 1 + 20·[cell = peak] + the cell's
    /// index / 100, normalized, so the peak is unique and cell 0 is the least attended.
    static func map(peak: Int, grid: Int) -> [Float] {
        let raw = (0..<grid * grid).map { Float($0) / 100 + ($0 == peak ? 20 : 1) }
        let sum = raw.reduce(0, +)
        return raw.map { $0 / sum }
    }

    static func page(words: [String], attention: [[Float]]? = nil, grid: Int = 7, name: String = "photo.jpg",
                     caption: String? = nil, logProbabilities: [Float]? = nil) throws(CaptionError) -> AttentionPage {
        let maps = attention ?? (0...words.count).map { map(peak: ($0 * 11) % (grid * grid), grid: grid) }
        return try AttentionPage(imageName: name, photoFile: photoFile, photo: photo,
                                 caption: caption ?? words.joined(separator: " "), words: words,
                                 attention: maps, grid: grid, logProbabilities: logProbabilities)
    }

    /// The covers' opacities of panel `index`, inner cells only, row-major.
    static func opacities(_ html: String, panel index: Int) throws -> [Float] {
        let start = try #require(html.range(of: "<figure data-word=\"\(index)\""))
        let end = try #require(html.range(of: "</figure>", range: start.upperBound..<html.endIndex))
        return html[start.upperBound..<end.lowerBound].components(separatedBy: "<i style=\"opacity:").dropFirst()
            .compactMap { Float($0.prefix { $0 != "\"" }) }
    }

    @Test func hasOnePanelPerWordAndOneForEnd() throws {
        let words = ["a", "dog", "runs", "on", "the", "grass"]
        let html = try Self.page(words: words, logProbabilities: [-0.1, -0.5, -1, -2, -0.2, -0.05, -0.01]).html
        #expect(html.components(separatedBy: "<figure data-word=").count - 1 == words.count + 1)
        #expect(html.contains("<figure data-word=\"6\""))
        #expect(html.contains("<span class=\"w end\">&lt;end&gt;</span>"), "the last panel is <end>'s")
        #expect(html.contains("p = 0.61"), "dog's probability, exp(−0.5)")
        #expect(!html.contains("{{"), "every template slot is filled")
        #expect(try Self.opacities(html, panel: 3).count == 49)
    }

    @Test func aCaptionCutByTheLengthLimitHasNoEndPanel() throws {
        let words = ["a", "dog"]
        let maps = [Self.map(peak: 3, grid: 7), Self.map(peak: 4, grid: 7)]
        let html = try Self.page(words: words, attention: maps).html
        #expect(html.components(separatedBy: "<figure data-word=").count - 1 == 2)
        #expect(!html.contains("&lt;end&gt;"))
    }

    @Test func escapesHostileWordsCaptionAndName() throws {
        let words = ["a", "<script>alert(1)</script>", "\"quoted'"]
        let html = try Self.page(words: words, name: Self.hostileName, caption: "a <script>alert(2)</script>").html
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img src=x"))
        #expect(html.components(separatedBy: "<script>").count - 1 == 1, "only the page's own script")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;&#39;&quot;.jpg"))
        #expect(html.contains("&quot;quoted&#39;"))
    }

    @Test func theMostAttendedCellHasTheLightestCover() throws {
        for grid in [7, 14] {
            let peak = grid * grid / 2 + 2
            let words = ["a", "cat"]
            let maps = [Self.map(peak: peak, grid: grid), Self.map(peak: 0, grid: grid), Self.map(peak: 5, grid: grid)]
            let html = try Self.page(words: words, attention: maps, grid: grid).html
            let covers = try Self.opacities(html, panel: 0)
            try #require(covers.count == grid * grid)
            // Cell 0 has the smallest weight in map 0 (see `map`).
            #expect(covers[peak] < covers[0], "grid \(grid)")
            #expect(covers[peak] == 0 && covers[0] > 0.7)
            #expect(covers.indices.min { covers[$0] < covers[$1] } == peak)
        }
        #expect(AttentionPage.shade(0.3, peak: 0.3) == 0)
        #expect(AttentionPage.shade(0, peak: 0.3) == AttentionPage.maxShade)
    }

    @Test func mapsThatDoNotFitAreRefused() {
        let words = ["a", "dog"]
        let good = (0..<3).map { Self.map(peak: $0, grid: 7) }
        var short = good
        short[1].removeLast()
        var negative = good
        negative[2][4] = -0.01
        var notANumber = good
        notANumber[0][10] = .nan
        let halved = good.map { $0.map { $0 / 2 } }
        let cases: [(attention: [[Float]], grid: Int, logProbabilities: [Float]?, reason: String)] = [
            (good + [good[0]], 7, nil, "4 attention maps for 2 words"),
            (Array(good.prefix(1)), 7, nil, "1 attention maps for 2 words"),
            (short, 7, nil, "word 2 (\"dog\") has 48 weights; expected 49"),
            (negative, 7, nil, "<end> has weight -0.01 at row 1, column 5"),
            (notANumber, 7, nil, "word 1 (\"a\") has weight nan at row 2, column 4"),
            (halved, 7, nil, "sums to 0.5"),
            (good, 14, nil, "has 49 weights; expected 196"),
            (good, 5, nil, "5 × 5 grid"),
            (good, 7, [-1, -2], "2 log-probabilities for 3 attention maps"),
        ]
        for test in cases {
            let error = #expect(throws: CaptionError.self) {
                try AttentionPage(imageName: "photo.jpg", photoFile: Self.photoFile, photo: Self.photo, caption: "a dog",
                                  words: words, attention: test.attention, grid: test.grid,
                                  logProbabilities: test.logProbabilities)
            }
            #expect(error?.subject == "photo.jpg")
            #expect(error?.reason.contains(test.reason) == true, "\(error?.reason ?? "no error"); expected \(test.reason)")
        }
    }
}
