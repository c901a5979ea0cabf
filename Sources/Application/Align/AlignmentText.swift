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
    /// The match probability and unknown words; nil prints neither.
    public var reading: MatchReading?

    public init(image: String, sentence: String, tokens: [String], known: [Bool], alignment: PairAlignment,
                reading: MatchReading? = nil) {
        self.image = image
        self.sentence = sentence
        self.tokens = tokens
        self.known = known
        self.alignment = alignment
        self.reading = reading
    }

    /// The text of a parsed sentence on a photo, read with `calibration` (nil: no match).
    public init(image: String, input: SentenceInput, alignment: PairAlignment, calibration: MatchCalibration?) {
        self.init(image: image, sentence: input.text, tokens: input.tokens, known: input.known, alignment: alignment,
                  reading: MatchReading(input, alignment: alignment, calibration: calibration))
    }

    /// `S = 9.1234 over 8 words (S / words = 1.1404)`, then `, match 0.83` when there is one
    /// (`, match: none, too many unknown words` when the aligner is calibrated but the sentence
    /// is mostly unknown words).
    public static func summary(_ alignment: PairAlignment, words: Int, reading: MatchReading?) -> String {
        let scores = String(format: "S = %.4f over %d words (S / words = %.4f)", alignment.raw, words, alignment.normalized)
        guard let reading, reading.calibrated else { return scores }
        return scores + (reading.match == nil ? ", match: none, too many unknown words" : ", match " + reading.matchText)
    }

    /// Each word, its region ("row 3, column 5" or "whole image") and its score there; then S.
    public var table: String {
        let width = max(12, (tokens.map(\.count).max() ?? 0) + 3)
        func padded(_ text: String, _ length: Int) -> String { text.padding(toLength: length, withPad: " ", startingAt: 0) }
        var lines = [padded("word", width) + padded("region", 22) + "score"]
        for (index, token) in tokens.enumerated() {
            lines.append(padded(token + (known[index] ? "" : " ?"), width)
                         + padded(AlignmentPage.regionName(alignment.alignment[index], grid: alignment.regionGrid), 22)
                         + String(format: "%.3f", alignment.wordScores[index]))
        }
        lines.append(Self.summary(alignment, words: tokens.count, reading: reading))
        return lines.joined(separator: "\n")
    }

    /// `{"image", "sentence", "score", "normalized", ["match", "unknown_words", "warning",] "grid", "words": [{"word",
    /// "known", "region", "row", "column", "score"}]}`: row and column of the grid × grid cells.
    public var json: String { object(boxes: false).text }

    /// The object of `json`; with `boxes`, each word also has its region's `"box": {"left", "top",
    /// "width", "height"}` as fractions of the photo (the page's drawing, `AlignmentPage.box`).
    public func object(boxes: Bool) -> JSON {
        let words: [JSON] = tokens.indices.map { index in
            let region = alignment.alignment[index]
            var fields: [(String, JSON)] = [("word", .string(tokens[index])), ("known", .bool(known[index])), ("region", .int(region))]
            let grid = alignment.regionGrid
            if let cell = ImageRegions.cell(ofRegion: region, gridHeight: grid, gridWidth: grid) { fields += [("row", .int(cell.row)), ("column", .int(cell.column))] }
            fields.append(("score", .number(alignment.wordScores[index])))
            if boxes {
                let box = AlignmentPage.box(region, grid: grid)
                fields.append(("box", .object([("left", .double(box.left / 100, decimals: 4)), ("top", .double(box.top / 100, decimals: 4)),
                                               ("width", .double(box.width / 100, decimals: 4)),
                                               ("height", .double(box.height / 100, decimals: 4))])))
            }
            return .object(fields)
        }
        return JSON.object([("image", .string(image)), ("sentence", .string(sentence)), ("score", .number(alignment.raw)),
                            ("normalized", .number(alignment.normalized))] + (reading?.jsonFields ?? [])
                           + [("grid", .int(alignment.regionGrid)), ("words", .array(words))])
    }
}
