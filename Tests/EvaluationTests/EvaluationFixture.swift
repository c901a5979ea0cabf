import Evaluation
import Foundation

/// The synthetic corpus and pycocoevalcap's scores for it, written by
/// `scripts/make_metric_fixtures.py` into `Tests/Fixtures/evaluation`.
struct EvaluationFixture {
    struct CorpusFile: Decodable {
        struct Image: Decodable {
            let id: String
            let kind: String
            /// Space-joined tokens.
            let candidate: String
            let references: [String]
        }
        let images: [Image]
    }

    struct GoldenFile: Decodable {
        let imageCount: Int
        let bleu: [Double]
        let rougeL: Double
        let ciderD: Double
        let rougeLPerImage: [String: Double]
        let ciderDPerImage: [String: Double]
    }

    let images: [CaptionCorpus.Image]
    let golden: GoldenFile

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // EvaluationTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/evaluation")

    static func load() throws -> EvaluationFixture {
        let decoder = JSONDecoder()
        let corpus = try decoder.decode(
            CorpusFile.self, from: Data(contentsOf: directory.appendingPathComponent("corpus.json")))
        let golden = try decoder.decode(
            GoldenFile.self, from: Data(contentsOf: directory.appendingPathComponent("golden.json")))
        let images = corpus.images.map { image in
            CaptionCorpus.Image(
                id: image.id,
                candidate: tokens(image.candidate),
                references: image.references.map(tokens))
        }
        return EvaluationFixture(images: images, golden: golden)
    }

    /// Splits on single spaces, as the fixture script joined the tokens.
    static func tokens(_ caption: String) -> [String] {
        caption.split(separator: " ").map(String.init)
    }
}
