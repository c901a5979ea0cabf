import Alignment
import Encoder
import Foundation
import Support

/// What `caption align` prints for one sentence on one photo: a word → region table, or one
/// JSON object.
public struct AlignmentText {
    public var image: String
    public var sentence: String
    public var tokens: [String]
    /// Whether each token is in the vocabulary (unknown ones were read as `<unk>`).
    public var known: [Bool]
    public var alignment: PairAlignment

    public init(image: String, sentence: String, tokens: [String], known: [Bool], alignment: PairAlignment) {
        self.image = image
        self.sentence = sentence
        self.tokens = tokens
        self.known = known
        self.alignment = alignment
    }

    /// Each word, its region ("row 3, column 5" or "whole image") and its score there; then S.
    public var table: String {
        let width = max(12, (tokens.map(\.count).max() ?? 0) + 3)
        func padded(_ text: String, _ length: Int) -> String { text.padding(toLength: length, withPad: " ", startingAt: 0) }
        var lines = [padded("word", width) + padded("region", 22) + "score"]
        for (index, token) in tokens.enumerated() {
            lines.append(padded(token + (known[index] ? "" : " ?"), width)
                         + padded(AlignmentPage.regionName(alignment.alignment[index]), 22)
                         + String(format: "%.3f", alignment.wordScores[index]))
        }
        lines.append(String(format: "S = %.4f over %d words (S / words = %.4f)", alignment.raw, tokens.count, alignment.normalized))
        return lines.joined(separator: "\n")
    }

    /// `{"image", "sentence", "score", "normalized", "words": [{"word", "known", "region", "row", "column", "score"}]}`.
    public var json: String { object(boxes: false).text }

    /// The object of `json`; with `boxes`, each word also has its region's `"box": {"left", "top",
    /// "width", "height"}` as fractions of the photo (the page's drawing, `AlignmentPage.box`).
    public func object(boxes: Bool) -> JSON {
        let words: [JSON] = tokens.indices.map { index in
            let region = alignment.alignment[index]
            var fields: [(String, JSON)] = [("word", .string(tokens[index])), ("known", .bool(known[index])), ("region", .int(region))]
            if let cell = ImageRegions.cell(ofRegion: region) { fields += [("row", .int(cell.row)), ("column", .int(cell.column))] }
            fields.append(("score", .number(alignment.wordScores[index])))
            if boxes {
                let box = AlignmentPage.box(region)
                fields.append(("box", .object([("left", .double(box.left / 100, decimals: 4)), ("top", .double(box.top / 100, decimals: 4)),
                                               ("width", .double(box.width / 100, decimals: 4)),
                                               ("height", .double(box.height / 100, decimals: 4))])))
            }
            return .object(fields)
        }
        return JSON.object([("image", .string(image)), ("sentence", .string(sentence)), ("score", .number(alignment.raw)),
                            ("normalized", .number(alignment.normalized)), ("words", .array(words))])
    }
}
