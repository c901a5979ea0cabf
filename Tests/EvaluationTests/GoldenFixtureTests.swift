import Evaluation
import Foundation
import Testing

/// Agreement with pycocoevalcap on the synthetic fixture. The algorithms are the same, so only
/// floating-point summation order can differ; the tolerance is far below the 0.5-point budget.
@Suite struct GoldenFixtureTests {
    /// Allowed difference in points (score × 100).
    static let tolerancePoints = 1e-6

    let fixture: EvaluationFixture
    let corpus: CaptionCorpus

    init() throws {
        fixture = try EvaluationFixture.load()
        corpus = try CaptionCorpus(fixture.images)
    }

    func expectClose(_ actual: Double, _ expected: Double, _ what: String) {
        #expect(abs(actual - expected) * 100 <= Self.tolerancePoints,
                "\(what): Swift \(actual) vs pycocoevalcap \(expected)")
    }

    @Test func fixtureIsLargeEnough() {
        #expect(fixture.images.count >= 60)
        #expect(fixture.images.count == fixture.golden.imageCount)
        #expect(fixture.images.allSatisfy { $0.references.count == 5 })
        #expect(fixture.images.contains { $0.candidate.count == 1 })
    }

    @Test func bleuMatchesPycocoevalcap() {
        let bleu = Bleu.score(corpus)
        #expect(bleu.count == 4)
        for (order, (actual, expected)) in zip(bleu, fixture.golden.bleu).enumerated() {
            expectClose(actual, expected, "BLEU-\(order + 1)")
        }
    }

    @Test func rougeLMatchesPycocoevalcap() {
        expectClose(RougeL.score(corpus), fixture.golden.rougeL, "ROUGE-L")
        for (image, actual) in zip(corpus.images, RougeL.imageScores(corpus)) {
            expectClose(actual, fixture.golden.rougeLPerImage[image.id] ?? .nan, "ROUGE-L \(image.id)")
        }
    }

    @Test func ciderDMatchesPycocoevalcap() {
        expectClose(CiderD.score(corpus), fixture.golden.ciderD, "CIDEr-D")
        for (image, actual) in zip(corpus.images, CiderD.imageScores(corpus)) {
            expectClose(actual, fixture.golden.ciderDPerImage[image.id] ?? .nan, "CIDEr-D \(image.id)")
        }
    }

    @Test func dictionaryEntryPointGivesTheSameScores() throws {
        let candidates = Dictionary(uniqueKeysWithValues: fixture.images.map { ($0.id, $0.candidate) })
        let references = Dictionary(uniqueKeysWithValues: fixture.images.map { ($0.id, $0.references) })
        let scores = try CaptionMetrics.score(candidates: candidates, references: references)
        for (order, (actual, expected)) in zip(scores.bleu, fixture.golden.bleu).enumerated() {
            expectClose(actual, expected, "BLEU-\(order + 1)")
        }
        expectClose(scores.rougeL, fixture.golden.rougeL, "ROUGE-L")
        expectClose(scores.ciderD, fixture.golden.ciderD, "CIDEr-D")
    }
}
