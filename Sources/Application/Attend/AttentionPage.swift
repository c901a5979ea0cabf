import Foundation
import ImageDecoding
import Support

/// A self-contained HTML page showing where an attention captioner looked for each word, in the
/// style of Xu et al. 2015 (Show, Attend and Tell), figures 2 and 3: the photo large with its
/// caption; below, one panel per word and one for `<end>`, each the photo darkened where that
/// word's soft attention is low. Pointing at a word of the caption shows its map over the big
/// photo and marks its panel.
///
/// Word k's map αₖ holds `grid × grid` weights, row-major with row 0 at the top, one per cell of
/// pool5's 7 × 7 (or conv5_3's 14 × 14) grid; the cells tile the 224 × 224 input the whole photo
/// is resized to, so each is 1/grid of the photo's width and height. Σ αₖ = 1 (a softmax).
/// A cell is covered in black at opacity `maxShade · (1 − α / max αₖ)` (``shade(_:peak:)``) and
/// the covers are blurred by 0.4 of a cell, which upsamples the map smoothly as the paper's
/// figures do: the peak cell shows the photo as it is, the least-attended ones nearly black.
///
/// The photo's bytes are embedded once, as a data URI in the stylesheet, and every panel reuses
/// them; there are no external references, so the file can be mailed or archived alone. The
/// look is the alignment page's (`Resources/photo-page.css`).
public struct AttentionPage {
    /// The page, ready to write to a file.
    public let html: String

    /// How dark the least-attended cells get: black at this opacity where α = 0.
    public static let maxShade: Float = 0.8
    /// How far a map's weights may sum from 1 (float rounding of a softmax is far smaller).
    public static let sumTolerance: Float = 1e-3

    /// The page for a photo file and the photo decoded from it (JPEG and PNG are embedded as
    /// they are, other formats as a JPEG of the decoded photo: ``PagePhoto``).
    ///
    /// - Parameters:
    ///   - words: the caption's words, without `<start>` and `<end>`.
    ///   - attention: one map of `grid * grid` weights per word, then one for `<end>` when the
    ///     caption finished (`words.count + 1` maps; `words.count` for a caption that ran into
    ///     the length limit).
    ///   - grid: 7 (pool5) or 14 (conv5_3).
    ///   - logProbabilities: log p of each token the maps belong to (`attention.count` values),
    ///     shown as p under its panel; nil shows none.
    /// - Throws: a ``CaptionError`` about `imageName` when a map does not fit (count, shape,
    ///   weights not finite, negative, or not summing to 1), or the photo cannot be embedded.
    public init(imageName: String, photoFile: Data, photo: Image, caption: String, words: [String],
                attention: [[Float]], grid: Int, logProbabilities: [Float]?) throws(CaptionError) {
        try Self.validate(words: words, attention: attention, grid: grid, logProbabilities: logProbabilities,
                          subject: imageName)
        let shown: (bytes: Data, mimeType: String)
        do {
            shown = try PagePhoto.embeddable(photoFile, decoded: photo)
        } catch {
            throw .input(imageName, error.description)
        }
        let labels = words + (attention.count > words.count ? ["<end>"] : [])
        var sentence = "", panels = ""
        for (index, label) in labels.enumerated() {
            let end = index == words.count ? " end" : ""
            sentence += "<span class=\"word\(end)\" data-word=\"\(index)\" tabindex=\"0\">\(HTML.escape(label))</span> "
            let map = attention[index]
            let peak = map.indices.max { map[$0] < map[$1] } ?? 0
            let probability = logProbabilities.map { "<span class=\"p\">p = \(Self.probabilityText($0[index]))</span>" } ?? ""
            panels += "<figure data-word=\"\(index)\" title=\"max α = \(String(format: "%.3f", map[peak])) at "
                + "row \(peak / grid + 1), column \(peak % grid + 1)\"><div class=\"photo\">"
                + Self.overlay(map, grid: grid)
                + "</div><figcaption><span class=\"w\(end)\">\(HTML.escape(label))</span>\(probability)</figcaption></figure>\n"
        }
        var summary = "\(labels.count) attention maps over \(grid) × \(grid) cells"
        if let logProbabilities {
            summary += String(format: " · log p = %.2f over %d tokens", logProbabilities.reduce(0, +), logProbabilities.count)
        }
        let cellPercent = 100 / Double(grid)
        // The stylesheet first: its pass sees only our own files, never a user's text.
        html = try HTML.fill(PageTemplate.withPhotoPageStyle(PageTemplate.text("attention-page.html")), [
            "CAPTION": HTML.escape(caption),
            "PHOTO": "data:\(shown.mimeType);base64,\(shown.bytes.base64EncodedString())",
            "WIDTH": String(photo.width), "HEIGHT": String(photo.height),
            "IMAGE_NAME": HTML.escape(imageName), "SUMMARY": summary,
            "SENTENCE": sentence, "PANELS": panels,
            "CELLS": String(grid + 2), "CELL_PERCENT": String(format: "%.4f", cellPercent),
            "BLUR_CQW": String(format: "%.4f", 0.4 * cellPercent), "MAX_SHADE": String(format: "%.1f", Self.maxShade),
            "GRID_NOTE": grid == 7 ? "the 7 × 7 cells of VGG16's pool5 grid (each 1/7 of the photo's width and height)"
                : "the 14 × 14 cells of VGG16's conv5_3 grid (each 1/14 of the photo's width and height)",
        ])
    }

    /// The opacity of the black cover over a cell of weight `alpha` in a map whose largest
    /// weight is `peak`: `maxShade · (1 − α / peak)`, 0 at the peak, `maxShade` where α = 0.
    public static func shade(_ alpha: Float, peak: Float) -> Float {
        peak > 0 ? maxShade * (1 - alpha / peak) : maxShade
    }

    /// `p = exp(log p)` to 2 decimals, or to 2 significant digits below 0.01 (so a rare word
    /// does not read as 0.00).
    static func probabilityText(_ logProbability: Float) -> String {
        let p = exp(Double(logProbability))
        guard p.isFinite else { return "–" }
        return p >= 0.01 || p == 0 ? String(format: "%.2f", p) : String(format: "%.2g", p)
    }

    /// A map's covers: `<div class="attention">` of `(grid + 2)²` cells `<i>`, row-major; the
    /// inner `grid × grid` are the map's, the outer ring (class `ring`) repeats its nearest edge
    /// cell so the blur does not lighten the photo's border.
    static func overlay(_ map: [Float], grid: Int) -> String {
        let peak = map.max() ?? 0
        var cells = "<div class=\"attention\">"
        for row in -1...grid {
            for column in -1...grid {
                let inside = (0..<grid).contains(row) && (0..<grid).contains(column)
                let cell = min(max(row, 0), grid - 1) * grid + min(max(column, 0), grid - 1)
                let opacity = String(format: "%.3f", shade(map[cell], peak: peak))
                cells += inside ? "<i style=\"opacity:\(opacity)\"></i>" : "<i class=\"ring\" style=\"opacity:\(opacity)\"></i>"
            }
        }
        return cells + "</div>"
    }

    /// Checks the maps fit the words and grid: `words.count + 1` maps (or `words.count`), each of
    /// `grid * grid` finite, non-negative weights summing to 1 within ``sumTolerance``.
    static func validate(words: [String], attention: [[Float]], grid: Int, logProbabilities: [Float]?,
                         subject: String) throws(CaptionError) {
        guard grid == 7 || grid == 14 else {
            throw .input(subject, "attention over a \(grid) × \(grid) grid; expected 7 × 7 (pool5) or 14 × 14 (conv5_3)")
        }
        guard attention.count == words.count + 1 || (attention.count == words.count && !words.isEmpty) else {
            throw .input(subject, "\(attention.count) attention maps for \(words.count) words; "
                         + "expected \(words.count + 1): one per word and one for <end>")
        }
        if let logProbabilities, logProbabilities.count != attention.count {
            throw .input(subject, "\(logProbabilities.count) log-probabilities for \(attention.count) attention maps; "
                         + "expected one per map")
        }
        for (index, map) in attention.enumerated() {
            let word = index < words.count ? "word \(index + 1) (\"\(words[index])\")" : "<end>"
            guard map.count == grid * grid else {
                throw .input(subject, "the attention map of \(word) has \(map.count) weights; expected \(grid * grid) (\(grid) × \(grid))")
            }
            if let bad = map.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                throw .input(subject, "the attention map of \(word) has weight \(map[bad]) at row \(bad / grid + 1), "
                             + "column \(bad % grid + 1); weights must be finite and not negative")
            }
            let sum = map.reduce(0, +)
            guard abs(sum - 1) <= sumTolerance else {
                throw .input(subject, "the attention map of \(word) sums to \(String(format: "%.4g", sum)); soft attention weights sum to 1")
            }
        }
    }
}
