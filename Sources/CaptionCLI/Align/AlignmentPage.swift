import Alignment
import Foundation

/// A self-contained HTML page showing which region of a photo each word of a sentence aligns
/// with, in the style of Karpathy & Fei-Fei 2015, figure 5: the photo with a box on every
/// region some word chose, labeled with its words; beside it the word list (hovering a word
/// highlights its region, hovering a region its words); below, small multiples — one thumbnail
/// per word with its region boxed.
///
/// Regions are pool5's 7 × 7 cells (32 × 32 px of the 224 × 224 input the whole photo is
/// resized to, so 1/7 of the photo's width and height each) and region 49, the whole photo.
/// The photo's own bytes are embedded once as a data URI in the stylesheet and reused by every
/// thumbnail; there are no external references, so the file can be mailed or archived alone.
struct AlignmentPage {
    var imageName: String
    /// The original file bytes (JPEG or PNG) and their MIME type.
    var imageBytes: Data
    var mimeType: String
    /// The photo's size after EXIF orientation, which browsers apply too.
    var width: Int, height: Int
    var sentence: String
    var tokens: [String]
    /// Whether each token is in the vocabulary (unknown ones were read as `<unk>`).
    var known: [Bool]
    var alignment: PairAlignment

    /// The grid side of `AlignmentRegions` at 224 × 224.
    static let grid = 7

    /// A distinct, readable color per word: golden-angle hues.
    static func color(_ index: Int) -> String {
        "hsl(\((index * 137 + 10) % 360), 85%, 45%)"
    }

    /// Where a region lies, as CSS percentages (left, top, width, height) of the photo.
    static func box(_ region: Int) -> (left: Double, top: Double, width: Double, height: Double) {
        guard let cell = AlignmentRegions.cell(ofRegion: region, gridHeight: grid, gridWidth: grid) else { return (0, 0, 100, 100) }
        let side = 100 / Double(grid)
        return (Double(cell.column) * side, Double(cell.row) * side, side, side)
    }

    /// "row 3, column 5" (1-based, as people count) or "whole image".
    static func regionName(_ region: Int) -> String {
        guard let cell = AlignmentRegions.cell(ofRegion: region, gridHeight: grid, gridWidth: grid) else { return "whole image" }
        return "row \(cell.row + 1), column \(cell.column + 1)"
    }

    var html: String {
        let regions = Array(Set(alignment.alignment)).sorted()
        var boxes = ""
        for region in regions {
            let words = alignment.alignment.indices.filter { alignment.alignment[$0] == region }
            let labels = words.map { "<span style=\"background:\(Self.color($0))\">\(Self.escape(tokens[$0]))</span>" }.joined()
            let wordList = words.map(String.init).joined(separator: " ")
            boxes += "<div class=\"box\(region == AlignmentRegions.count - 1 ? " whole" : "")\" data-words=\"\(wordList)\" "
                + "style=\"\(Self.position(region));border-color:\(Self.color(words[0]))\">"
                + "<div class=\"labels\">\(labels)</div></div>\n"
        }
        var list = "", thumbnails = ""
        for (index, token) in tokens.enumerated() {
            let region = alignment.alignment[index], color = Self.color(index)
            let score = String(format: "%.3f", alignment.wordScores[index])
            let unknown = known[index] ? "" : " <span class=\"unk\" title=\"not in the vocabulary: read as &lt;unk&gt;\">?</span>"
            list += "<li data-word=\"\(index)\"><span class=\"swatch\" style=\"background:\(color)\"></span>"
                + "<span class=\"token\">\(Self.escape(token))\(unknown)</span>"
                + "<span class=\"where\">\(Self.regionName(region))</span><span class=\"score\">\(score)</span></li>\n"
            thumbnails += "<figure data-word=\"\(index)\"><div class=\"photo\">"
                + "<div class=\"box\(region == AlignmentRegions.count - 1 ? " whole" : "")\" style=\"\(Self.position(region));border-color:\(color)\"></div>"
                + "</div><figcaption>\(Self.escape(token))</figcaption></figure>\n"
        }
        let summary = String(format: "S = %.3f over %d words (S / words = %.3f)", alignment.raw, tokens.count, alignment.normalized)
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Self.escape(sentence)) — word–region alignment</title>
        <style>
        :root { --photo: url("data:\(mimeType);base64,\(imageBytes.base64EncodedString())"); }
        body { font: 15px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }
        h1 { font-size: 20px; margin: 0 0 4px; }
        .summary { color: #555; margin: 0 0 16px; }
        .layout { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
        .photo { position: relative; width: 100%; aspect-ratio: \(width) / \(height);
                 background: var(--photo) center / 100% 100% no-repeat; image-orientation: from-image; }
        .main { flex: 0 1 640px; min-width: 280px; }
        .box { position: absolute; box-sizing: border-box; border: 3px solid; transition: opacity .15s; }
        .box.whole { border-style: dashed; }
        /* Labels stack inside their box: neighbouring cells are only 1/7 of the photo apart, so
           labels above or beside a box would run into the next box's. */
        .labels { position: absolute; left: 0; top: 0; display: flex; flex-direction: column; align-items: flex-start; gap: 1px; }
        .labels span { color: #fff; font-size: 12px; line-height: 16px; padding: 0 4px; white-space: nowrap; }
        .box.whole .labels { top: auto; bottom: 0; flex-direction: row; flex-wrap: wrap; }
        .main .box { z-index: 1; }
        .main .box.whole { z-index: 0; }
        .main.focus .box { opacity: .15; }
        .main.focus .box.active { opacity: 1; z-index: 2; box-shadow: 0 0 0 2px #fff; }
        ol { list-style: none; padding: 0; margin: 0; flex: 0 1 340px; }
        li { display: flex; align-items: center; gap: 8px; padding: 3px 6px; border-radius: 4px; cursor: default; }
        li.active { background: #e6e6e6; }
        .swatch { width: 12px; height: 12px; border-radius: 2px; flex: none; }
        .token { font-weight: 600; min-width: 80px; }
        .where { color: #555; flex: 1; }
        .score { color: #777; font-variant-numeric: tabular-nums; }
        .unk { color: #b00; font-weight: 700; }
        h2 { font-size: 16px; margin: 28px 0 8px; }
        .multiples { display: flex; flex-wrap: wrap; gap: 12px; }
        figure { margin: 0; width: 140px; }
        figure .box { border-width: 2px; }
        figure.active .photo { outline: 3px solid #222; }
        figcaption { text-align: center; font-weight: 600; }
        .note { color: #777; font-size: 13px; margin-top: 20px; }
        </style>
        </head>
        <body>
        <h1>\(Self.escape(sentence))</h1>
        <p class="summary">\(Self.escape(imageName)) · \(summary)</p>
        <div class="layout">
        <div class="main"><div class="photo">
        \(boxes)</div></div>
        <ol>
        \(list)</ol>
        </div>
        <h2>Each word's region</h2>
        <div class="multiples">
        \(thumbnails)</div>
        <p class="note">Regions are the 7 × 7 cells of VGG16's pool5 grid (each 1/7 of the photo's width and height) \
        and the whole photo (dashed). A word's number is its dot product with that region in the alignment space.</p>
        <script>
        (function () {
          var main = document.querySelector(".main");
          function show(words, on) {
            main.classList.toggle("focus", on);
            words.forEach(function (w) {
              document.querySelectorAll('[data-word="' + w + '"]').forEach(function (e) { e.classList.toggle("active", on); });
            });
            main.querySelectorAll(".box").forEach(function (box) {
              var mine = box.getAttribute("data-words").split(" ").some(function (w) { return words.indexOf(w) >= 0; });
              box.classList.toggle("active", on && mine);
            });
          }
          document.querySelectorAll("li[data-word], figure[data-word]").forEach(function (e) {
            var w = [e.getAttribute("data-word")];
            e.addEventListener("mouseenter", function () { show(w, true); });
            e.addEventListener("mouseleave", function () { show(w, false); });
          });
          main.querySelectorAll(".box").forEach(function (box) {
            var w = box.getAttribute("data-words").split(" ");
            box.addEventListener("mouseenter", function () { show(w, true); });
            box.addEventListener("mouseleave", function () { show(w, false); });
          });
        })();
        </script>
        </body>
        </html>

        """
    }

    private static func position(_ region: Int) -> String {
        let b = box(region)
        return String(format: "left:%.4f%%;top:%.4f%%;width:%.4f%%;height:%.4f%%", b.left, b.top, b.width, b.height)
    }

    /// Text safe inside HTML elements and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
