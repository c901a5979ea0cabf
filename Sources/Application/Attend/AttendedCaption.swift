import Captioning
import Encoder
import Foundation
import Support

/// A photo's caption from an attention captioner, with where the captioner looked for each
/// word (Xu et al. 2015, figures 2 and 3): for every word and for the `<end>` after them, the
/// weights α over the grid × grid regions, which sum to 1. `caption attend` prints and draws it.
public struct AttendedCaption: Sendable {
    public let image: String
    public let caption: String
    public let words: [String]
    /// `words.count + 1` maps (the last for `<end>`), each `grid · grid` weights, row-major
    /// from the top left of the photo.
    public let attention: [[Float]]
    public let grid: Int
    /// log p of each word and of `<end>`.
    public let logProbabilities: [Float]

    /// Captions `photo` with the pipeline's policy (beam search, and re-ranking if it re-ranks),
    /// then reads the attention of the chosen caption (in an ensemble, of its attention members
    /// on the first one's grid). Throws a usage error for a Show-and-Tell captioner, which has no
    /// attention to show.
    public init(image: String, photo: EncoderFeatures, pipeline: CaptionPipeline) throws(CaptionError) {
        let configs = [pipeline.captioner.model.config] + pipeline.captioner.ensemble.map(\.model.config)
        guard let config = configs.first(where: { $0.decoder == .attention }) else {
            throw .usage("--model", "this captioner reads the photo once (show-tell) and has no attention to show; "
                         + "train one with `caption train captioner --decoder attention`")
        }
        let record = pipeline.record(image: image, photo: photo)
        let tokens = pipeline.captioner.tokenizer.tokens(record.caption)
        let ids = pipeline.captioner.vocabulary.encode(tokens)
        let feature = pipeline.captionerInput(photo)
        switch pipeline.decoder {
        case let model as CaptionModel: attention = model.attention(of: ids, feature: feature)
        case let ensemble as CaptionEnsemble: attention = ensemble.attention(of: ids, feature: feature)!  // it has an attention member
        case let ensemble as FusedAttentionEnsemble: attention = ensemble.attention(of: ids, feature: feature)
        default: preconditionFailure("an attention captioner decodes as a CaptionModel, CaptionEnsemble or FusedAttentionEnsemble")
        }
        self.image = image
        caption = record.caption
        words = tokens
        grid = Int(Double(config.regionCount).squareRoot().rounded())
        logProbabilities = pipeline.decoder.logProbabilities(of: ids, feature: feature)
    }

    /// Cell (row, column) of a region index, both from 1 at the top left.
    func cell(_ region: Int) -> (row: Int, column: Int) { (region / grid + 1, region % grid + 1) }

    /// One line per word: the word, the cell it looked at most, that cell's weight, and how
    /// much of the attention the top 5 cells hold (1 = sharply focused, 5/L = spread evenly).
    public var table: String {
        var lines = ["\(image): \(caption)"]
        let width = max(5, (words.map(\.count).max() ?? 0))
        for (k, map) in attention.enumerated() {
            let word = k < words.count ? words[k] : "<end>"
            let peak = map.indices.max { map[$0] < map[$1] } ?? 0
            let (row, column) = cell(peak)
            let top5 = map.sorted(by: >).prefix(5).reduce(0, +)
            lines.append("  " + word.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "  cell (%d, %d)  α %.3f  top-5 %.2f", row, column, map[peak], top5))
        }
        return lines.joined(separator: "\n")
    }

    public var json: String {
        let entries: [JSON] = attention.enumerated().map { k, map in
            .object([("word", .string(k < words.count ? words[k] : "<end>")),
                     ("logprob", .number(logProbabilities[k])),
                     ("attention", .array(map.map { .compact($0, significant: 4) }))])
        }
        return JSON.object([("image", .string(image)), ("caption", .string(caption)), ("grid", .int(grid)),
                            ("words", .array(entries))]).text
    }
}
