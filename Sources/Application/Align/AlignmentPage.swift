import Alignment
import Foundation
import ImageDecoding
import Support
import Encoder

/// A self-contained HTML page showing which region of a photo each word of a sentence aligns
/// with, in the style of Karpathy & Fei-Fei 2015, figure 5: the photo with a box on every
/// region some word chose, labeled with its words; beside it the word list (hovering a word
/// highlights its region, hovering a region its words); below, small multiples — one thumbnail
/// per word with its region boxed.
///
/// Regions are pool5's 7 × 7 cells (32 × 32 px of the 224 × 224 input the whole photo is
/// resized to, so 1/7 of the photo's width and height each) or conv5_3's 14 × 14, and the
/// last region, the whole photo.
/// The photo's own bytes are embedded once as a data URI in the stylesheet and reused by every
/// thumbnail; there are no external references, so the file can be mailed or archived alone.
public struct AlignmentPage {
    public var imageName: String
    /// The photo as the page shows it (``PagePhoto``) and its MIME type.
    public var imageBytes: Data
    public var mimeType: String
    /// The photo's size after EXIF orientation, which browsers apply too.
    public var width: Int, height: Int
    public var sentence: String
    public var tokens: [String]
    /// Whether each token is in the vocabulary (unknown ones were read as `<unk>`).
    public var known: [Bool]
    public var alignment: PairAlignment
    /// The match probability and unknown words shown under the photo; nil shows neither.
    public var reading: MatchReading?

    public init(imageName: String, imageBytes: Data, mimeType: String, width: Int, height: Int, sentence: String,
                tokens: [String], known: [Bool], alignment: PairAlignment, reading: MatchReading? = nil) {
        self.imageName = imageName
        self.imageBytes = imageBytes
        self.mimeType = mimeType
        self.width = width
        self.height = height
        self.sentence = sentence
        self.tokens = tokens
        self.known = known
        self.alignment = alignment
        self.reading = reading
    }

    /// The page for a photo file and the photo decoded from it: JPEG and PNG embedded as they
    /// are, other formats as a JPEG of the decoded photo (``PagePhoto``).
    public init(imageName: String, photoFile: Data, photo: Image, sentence: String, tokens: [String], known: [Bool],
                alignment: PairAlignment, reading: MatchReading? = nil) throws(CaptionError) {
        let shown: (bytes: Data, mimeType: String)
        do {
            shown = try PagePhoto.embeddable(photoFile, decoded: photo)
        } catch {
            throw .input(imageName, error.description)
        }
        self.init(imageName: imageName, imageBytes: shown.bytes, mimeType: shown.mimeType, width: photo.width,
                  height: photo.height, sentence: sentence, tokens: tokens, known: known, alignment: alignment,
                  reading: reading)
    }

    /// A distinct, readable color per word: golden-angle hues.
    public static func color(_ index: Int) -> String {
        "hsl(\((index * 137 + 10) % 360), 85%, 45%)"
    }

    /// Where a region of a `grid` × `grid` grid lies, as CSS percentages (left, top, width,
    /// height) of the photo.
    public static func box(_ region: Int, grid: Int) -> (left: Double, top: Double, width: Double, height: Double) {
        guard let cell = ImageRegions.cell(ofRegion: region, gridHeight: grid, gridWidth: grid) else { return (0, 0, 100, 100) }
        let side = 100 / Double(grid)
        return (Double(cell.column) * side, Double(cell.row) * side, side, side)
    }

    /// "row 3, column 5" (1-based, as people count) or "whole image".
    public static func regionName(_ region: Int, grid: Int) -> String {
        guard let cell = ImageRegions.cell(ofRegion: region, gridHeight: grid, gridWidth: grid) else { return "whole image" }
        return "row \(cell.row + 1), column \(cell.column + 1)"
    }

    /// `template` with its `{{REGION_BOXES_STYLE}}` slot filled with the box and label CSS this
    /// page shares with `caption serve`'s page (`Resources/region-boxes.css`), so both draw a
    /// word's region alike.
    public static func withRegionBoxesStyle(_ template: String) throws(CaptionError) -> String {
        try HTML.fill(template, ["REGION_BOXES_STYLE": PageTemplate.text("region-boxes.css")])
    }

    public func html() throws(CaptionError) -> String {
        let regions = Array(Set(alignment.alignment)).sorted()
        let grid = alignment.regionGrid, whole = grid * grid
        var boxes = ""
        for region in regions {
            let words = alignment.alignment.indices.filter { alignment.alignment[$0] == region }
            let labels = words.map { "<span style=\"background:\(Self.color($0))\">\(HTML.escape(tokens[$0]))</span>" }.joined()
            let wordList = words.map(String.init).joined(separator: " ")
            boxes += "<div class=\"box\(region == whole ? " whole" : "")\" data-words=\"\(wordList)\" "
                + "style=\"\(Self.position(region, grid: grid));border-color:\(Self.color(words[0]))\">"
                + "<div class=\"labels\">\(labels)</div></div>\n"
        }
        var list = "", thumbnails = ""
        for (index, token) in tokens.enumerated() {
            let region = alignment.alignment[index], color = Self.color(index)
            let score = String(format: "%.3f", alignment.wordScores[index])
            let unknown = known[index] ? "" : " <span class=\"unk\" title=\"not in the vocabulary: read as &lt;unk&gt;\">?</span>"
            list += "<li data-word=\"\(index)\"><span class=\"swatch\" style=\"background:\(color)\"></span>"
                + "<span class=\"token\">\(HTML.escape(token))\(unknown)</span>"
                + "<span class=\"where\">\(Self.regionName(region, grid: grid))</span><span class=\"score\">\(score)</span></li>\n"
            thumbnails += "<figure data-word=\"\(index)\"><div class=\"photo\">"
                + "<div class=\"box\(region == whole ? " whole" : "")\" style=\"\(Self.position(region, grid: grid));border-color:\(color)\"></div>"
                + "</div><figcaption>\(HTML.escape(token))</figcaption></figure>\n"
        }
        let summary = String(format: "S = %.3f over %d words (S / words = %.3f)", alignment.raw, tokens.count, alignment.normalized)
        // The stylesheet first: its pass sees only our own files, never a user's text.
        return try HTML.fill(Self.withRegionBoxesStyle(PageTemplate.withPhotoPageStyle(PageTemplate.text("alignment-page.html"))), [
            "SENTENCE": HTML.escape(sentence),
            "PHOTO": "data:\(mimeType);base64,\(imageBytes.base64EncodedString())",
            "WIDTH": String(width), "HEIGHT": String(height),
            "IMAGE_NAME": HTML.escape(imageName), "SUMMARY": summary, "MATCH": matchParagraph,
            "BOXES": boxes, "WORDS": list, "THUMBNAILS": thumbnails,
            "GRID_NOTE": grid == 7 ? "the 7 × 7 cells of VGG16's pool5 grid (each 1/7 of the photo's width and height)"
                : "the \(grid) × \(grid) cells of VGG16's conv5_3 grid (each 1/\(grid) of the photo's width and height)",
        ])
    }

    /// The match probability in large type with how to read it, or the unknown-words warning;
    /// empty when the aligner is not calibrated and every word is known enough.
    var matchParagraph: String {
        guard let reading else { return "" }
        if let warning = reading.warning { return "<p class=\"match warning\">\(HTML.escape(warning))</p>\n" }
        guard let match = reading.match else { return "" }
        return "<p class=\"match\"><strong>match \(MatchReading.text(match))</strong> <span class=\"why\">"
            + "the probability (calibrated on held-out photos) that this sentence was written for this photo "
            + "rather than another; 0.5 = can't tell</span></p>\n"
    }

    private static func position(_ region: Int, grid: Int) -> String {
        let b = box(region, grid: grid)
        return String(format: "left:%.4f%%;top:%.4f%%;width:%.4f%%;height:%.4f%%", b.left, b.top, b.width, b.height)
    }
}
