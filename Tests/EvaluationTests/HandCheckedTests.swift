import Evaluation
import Foundation
import Testing

/// Small cases whose scores follow from the formulas by hand.
private func words(_ caption: String) -> [String] {
    caption.split(separator: " ").map(String.init)
}

private func corpus(_ images: [(candidate: String, references: [String])]) throws -> CaptionCorpus {
    try CaptionCorpus(images.enumerated().map { index, image in
        CaptionCorpus.Image(id: "image\(index)", candidate: words(image.candidate), references: image.references.map(words))
    })
}

/// coco-caption's smoothing constants make "exact" BLEU values differ from the ideal by ~1e-10.
private let bleuTolerance = 1e-9

@Suite struct BleuHandCheckedTests {
    @Test func identicalCandidateScoresOne() throws {
        let bleu = Bleu.score(try corpus([("a brown dog runs through the grass",
                                           ["a brown dog runs through the grass", "a dog is running"])]))
        for value in bleu {
            #expect(abs(value - 1) < bleuTolerance)
        }
    }

    @Test func noOverlapScoresZero() throws {
        let bleu = Bleu.score(try corpus([("two children play on a beach", ["cat sleeps inside"])]))
        for value in bleu {
            #expect(value < 1e-6)
        }
    }

    @Test func clippingLimitsRepeatedWords() throws {
        // "the" occurs at most twice in the reference, so 2 of 4 unigrams match;
        // candidate length 4 < reference length 6 gives BP = exp(1 − 6/4).
        let bleu = Bleu.score(try corpus([("the the the the", ["the cat sat on the mat"])]))
        #expect(abs(bleu[0] - 0.5 * exp(1 - 6.0 / 4)) < bleuTolerance)
    }

    @Test func brevityPenaltyUsesTheClosestReference() throws {
        // Candidate of 7 tokens; references of 3 and 8 tokens. Closest is 8, so
        // BP = exp(1 − 8/7). ("shortest" would pick 3 and give BP = 1.)
        let bleu = Bleu.score(try corpus([("a small brown dog runs on grass",
                                           ["a dog runs", "a small brown dog runs on the grass"])]))
        #expect(abs(bleu[0] - exp(1 - 8.0 / 7)) < bleuTolerance)
    }

    @Test func closestReferenceTieGoesToTheShorterOne() throws {
        // Candidate of 7 tokens; references of 5 and 9 tokens are equally close. The tie goes
        // to 5, so there is no brevity penalty (9 would give exp(1 − 9/7)).
        let bleu = Bleu.score(try corpus([("a small brown dog runs on grass",
                                           ["a small brown dog runs", "a small brown dog runs on the green grass"])]))
        #expect(abs(bleu[0] - 1) < bleuTolerance)
    }

    @Test func countsAreSummedOverTheCorpus() throws {
        // 4 + 2 matching unigrams out of 4 + 4: corpus BLEU-1 = 6/8, not a mean of sentence scores.
        let bleu = Bleu.score(try corpus([
            ("a dog runs fast", ["a dog runs fast"]),
            ("a cat sits still", ["a cat eats food"]),
        ]))
        #expect(abs(bleu[0] - 0.75) < bleuTolerance)
    }
}

@Suite struct RougeLHandCheckedTests {
    @Test func identicalCandidateScoresOne() {
        #expect(RougeL.score(candidate: words("two children play on a beach"),
                             references: [words("two children play on a beach")]) == 1)
    }

    @Test func noOverlapScoresZero() {
        #expect(RougeL.score(candidate: words("two children play"), references: [words("a cat sleeps")]) == 0)
    }

    @Test func lcsFMeasureWithBeta() {
        // LCS("a b c d", "a x c d e") = 3 ("a c d"): P = 3/4, R = 3/5.
        let precision = 0.75
        let recall = 0.6
        let expected = (1 + 1.44) * precision * recall / (recall + 1.44 * precision)
        let score = RougeL.score(candidate: words("a b c d"), references: [words("a x c d e")])
        #expect(abs(score - expected) < 1e-12)
    }

    @Test func precisionAndRecallAreMaximisedSeparately() {
        // "a b" gives R = 1 (P = 1/2); the long reference gives P = 1 (R = 1/2): F(1, 1) = 1.
        let score = RougeL.score(candidate: words("a b c d"),
                                 references: [words("a b"), words("a b c d e f g h")])
        #expect(abs(score - 1) < 1e-12)
    }

    @Test func emptyCandidateScoresZero() {
        #expect(RougeL.score(candidate: [], references: [words("a dog")]) == 0)
    }

    @Test func corpusScoreIsTheMeanOverImages() throws {
        let scores = RougeL.imageScores(try corpus([("a dog", ["a dog"]), ("a cat", ["the bird"])]))
        #expect(scores == [1, 0])
        #expect(RougeL.score(try corpus([("a dog", ["a dog"]), ("a cat", ["the bird"])])) == 0.5)
    }
}

@Suite struct CiderDHandCheckedTests {
    // With disjoint vocabularies across two images every reference n-gram has df = 1, so every
    // weight is log 2 − log 1 = log 2 (n-grams absent from the references get the same); the
    // cosine similarities then reduce to ones over raw counts.

    @Test func identicalCandidatesScoreTen() throws {
        let scores = CiderD.imageScores(try corpus([("p q r s", ["p q r s"]), ("w x y z", ["w x y z"])]))
        for value in scores {
            #expect(abs(value - 10) < 1e-12)
        }
    }

    @Test func lengthPenaltyAndCosinePerOrder() throws {
        // Candidate "p q r s t" against "p q r s": per order, dot / (‖c‖ ‖r‖) on counts.
        let unigrams = 4 / (5.0.squareRoot() * 2)
        let bigrams = 3 / (2 * 3.0.squareRoot())
        let trigrams = 2 / (3.0.squareRoot() * 2.0.squareRoot())
        let fourgrams = 1 / 2.0.squareRoot()
        let penalty = exp(-1.0 / (2 * 36))  // δ = 1 token, σ = 6
        let expected = 10 * (unigrams + bigrams + trigrams + fourgrams) / 4 * penalty
        let scores = CiderD.imageScores(try corpus([("p q r s t", ["p q r s"]), ("w x y z", ["w x y z"])]))
        #expect(abs(scores[0] - expected) < 1e-12)
    }

    @Test func candidateWeightsAreClippedByTheReference() throws {
        // Unigram: min(4w, w)·w / (4w · 2w) = 1/8 (1/2 without clipping); no higher-order
        // matches; equal lengths. Score = 10 · (1/8) / 4.
        let scores = CiderD.imageScores(try corpus([("p p p p", ["p q r s"]), ("w x y z", ["w x y z"])]))
        #expect(abs(scores[0] - 0.3125) < 1e-12)
    }

    @Test func averagesOverReferences() throws {
        // Second reference shares nothing with the candidate: half the score of one perfect match.
        let scores = CiderD.imageScores(try corpus([("p q r s", ["p q r s", "k l m n"]), ("w x y z", ["w x y z"])]))
        #expect(abs(scores[0] - 5) < 1e-12)
    }

    @Test func singleImageCorpusScoresZero() throws {
        // N = 1: every reference n-gram has IDF log 1 − log 1 = 0.
        #expect(CiderD.score(try corpus([("a dog runs", ["a dog runs"])])) == 0)
    }

    @Test func noOverlapScoresZero() throws {
        #expect(CiderD.score(try corpus([("p q", ["r s"]), ("w x", ["y z"])])) == 0)
    }
}

@Suite struct CaptionMetricsTests {
    @Test func mismatchedIdsAreRejected() {
        #expect(throws: CaptionCorpusError.missingReferences(imageID: "b")) {
            try CaptionMetrics.score(candidates: ["a": ["dog"], "b": ["cat"]], references: ["a": [["dog"]]])
        }
        #expect(throws: CaptionCorpusError.missingCandidate(imageID: "b")) {
            try CaptionMetrics.score(candidates: ["a": ["dog"]], references: ["a": [["dog"]], "b": [["cat"]]])
        }
        #expect(throws: CaptionCorpusError.noReferences(imageID: "a")) {
            try CaptionMetrics.score(candidates: ["a": ["dog"]], references: ["a": []])
        }
        #expect(throws: CaptionCorpusError.empty) {
            try CaptionMetrics.score(candidates: [:], references: [:])
        }
    }

    @Test func scoresAreFractionsAndEntriesArePoints() throws {
        let scores = try CaptionMetrics.score(
            candidates: ["1": words("a dog runs on the grass"), "2": words("two children play outside")],
            references: ["1": [words("a dog runs on the grass")], "2": [words("two children play outside")]])
        #expect(abs(scores.bleu4 - 1) < bleuTolerance)
        #expect(scores.rougeL == 1)
        #expect(abs(scores.ciderD - 10) < 1e-12)
        #expect(scores.entries.map(\.name) == ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr-D"])
        #expect(abs(scores.entries[5].points - 1000) < 1e-9)
        #expect(scores.description.contains("CIDEr-D   1000.00"))
        #expect(scores.description.contains("ROUGE-L    100.00"))
    }
}

/// The variety figures printed beside the metrics.
@Suite struct CorpusVarietyTests {
    @Test func distinctCaptionsWordsAndDanglingEndings() throws {
        let scored = try corpus([("a dog runs", ["a dog runs"]), ("a dog runs", ["a dog"]), ("a man with a", ["a man"]),
                                 ("two people in the", ["people"]), ("a cat sits on a bed", ["a cat"])])
        #expect(scored.distinctCandidates == 4)
        #expect(scored.candidateVocabulary == 13)   // a dog runs man with two people in the cat sits on bed
        #expect(scored.danglingCandidates == 2)
    }
}
