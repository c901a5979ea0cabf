import Foundation

/// The coco-caption metrics of one corpus, as fractions like pycocoevalcap reports them
/// (BLEU and ROUGE-L in [0, 1]; CIDEr-D in [0, 10], typically around 1).
/// Papers usually quote them ×100 ("points"); see `entries` and `description`.
public struct MetricScores: Sendable, Equatable, CustomStringConvertible {
    public var bleu1: Double
    public var bleu2: Double
    public var bleu3: Double
    public var bleu4: Double
    /// ROUGE-L, β = 1.2.
    public var rougeL: Double
    /// CIDEr-D, n = 1…4, σ = 6.
    public var ciderD: Double

    public init(bleu1: Double, bleu2: Double, bleu3: Double, bleu4: Double, rougeL: Double, ciderD: Double) {
        self.bleu1 = bleu1
        self.bleu2 = bleu2
        self.bleu3 = bleu3
        self.bleu4 = bleu4
        self.rougeL = rougeL
        self.ciderD = ciderD
    }

    /// BLEU-1 … BLEU-4 in order.
    public var bleu: [Double] { [bleu1, bleu2, bleu3, bleu4] }

    /// One named metric value.
    public struct Entry: Sendable, Equatable {
        /// Conventional name, e.g. "BLEU-4", "ROUGE-L", "CIDEr-D".
        public let name: String
        /// The value as pycocoevalcap reports it.
        public let fraction: Double
        /// The value ×100, as captioning papers quote it.
        public var points: Double { fraction * 100 }
    }

    /// All metrics in the conventional reporting order.
    public var entries: [Entry] {
        [
            Entry(name: "BLEU-1", fraction: bleu1),
            Entry(name: "BLEU-2", fraction: bleu2),
            Entry(name: "BLEU-3", fraction: bleu3),
            Entry(name: "BLEU-4", fraction: bleu4),
            Entry(name: "ROUGE-L", fraction: rougeL),
            Entry(name: "CIDEr-D", fraction: ciderD),
        ]
    }

    /// A two-column table of the metrics in points (×100), two decimals.
    public var description: String {
        let nameWidth = 8
        let rows = entries.map { entry in
            entry.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                + String(format: "%9.2f", entry.points)
        }
        return (["metric     points"] + rows).joined(separator: "\n")
    }
}

/// Entry point: scores a tokenized corpus with every metric of this module, as coco-caption's
/// evaluation (BLEU-1…4, ROUGE-L, CIDEr-D; METEOR and SPICE need Java and are not provided).
public enum CaptionMetrics {
    /// Scores image id → candidate tokens against image id → reference token lists.
    /// - Throws: `CaptionCorpusError` when the ids differ, an image has no references, or the
    ///   corpus is empty (the cases where pycocoevalcap's assertions fail).
    public static func score(
        candidates: [String: [String]], references: [String: [[String]]]
    ) throws(CaptionCorpusError) -> MetricScores {
        score(try CaptionCorpus(candidates: candidates, references: references))
    }

    /// Scores an already-built corpus (tokens are interned once and shared by all metrics).
    public static func score(_ corpus: CaptionCorpus) -> MetricScores {
        let bleu = Bleu.score(corpus)
        return MetricScores(
            bleu1: bleu[0], bleu2: bleu[1], bleu3: bleu[2], bleu4: bleu[3],
            rougeL: RougeL.score(corpus),
            ciderD: CiderD.score(corpus))
    }
}
