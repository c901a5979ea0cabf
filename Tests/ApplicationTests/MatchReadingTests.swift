import Alignment
import Application
import Foundation
import Support
import Tensors
import Testing

/// "match" beside every score, and what a sentence of mostly unknown words gets instead: the
/// rule in one place (`SentenceInput.isMostlyUnknown`), and the outputs of score, align, the
/// page, caption records and `--calibrate`'s fit.
@Suite struct MatchReadingTests {
    static let calibration = MatchCalibration(a: 8, b: -7)

    /// The shipped aligner with `calibration`.
    static var calibrated: AlignmentModelFile {
        var file = ShippedModels.aligner
        file.calibration = calibration
        return file
    }

    static func input(_ text: String) throws -> SentenceInput {
        try SentenceInput.parse(text, with: ShippedModels.aligner).get()
    }

    @Test func mostlyUnknownMeansMoreThanHalfTheWords() throws {
        let mostly = try Self.input("a zorblax quux glimmerfen dog zorblax")
        #expect(mostly.isMostlyUnknown)
        #expect(mostly.unknownWords == ["zorblax", "quux", "glimmerfen"], "each unknown word once, in order")
        #expect(mostly.unknownWordsWarning == "\"a zorblax quux glimmerfen dog zorblax\": 4 of 6 words are unknown to "
                + "the aligner (zorblax, quux, glimmerfen): its score says little")
        let half = try Self.input("a dog zorblax quux")
        #expect(!half.isMostlyUnknown && half.unknownWordsWarning == nil && half.unknownWords == ["zorblax", "quux"])
        #expect(try Self.input("a dog runs on the beach").unknownWords.isEmpty)
        // A long sentence is quoted in part; more than five unknown words end with "…".
        let many = try Self.input("zqa zqb zqc zqd zqe zqf zqg " + String(repeating: "x", count: 80))
        #expect(many.unknownWordsWarning?.contains("(zqa, zqb, zqc, zqd, zqe, …)") == true)
        #expect(many.unknownWordsWarning?.hasPrefix("\"zqa zqb") == true && many.unknownWordsWarning?.contains("…\": 8 of 8") == true)
    }

    @Test func matchIsTheCalibratedProbabilityAndOnlyWhenItMeansSomething() throws {
        let alignment = PairAlignment(raw: 4, normalized: 1, alignment: [0, 1, 2, 3], wordScores: [1, 1, 1, 1])
        let known = try Self.input("a dog on grass")
        let reading = MatchReading(known, alignment: alignment, calibration: Self.calibration)
        #expect(reading.match == Self.calibration.probability(normalizedScore: 1))
        #expect(abs((reading.match ?? 0) - 0.7311) < 1e-4)  // σ(8 − 7)
        #expect(JSON.object(reading.jsonFields).text == #"{"match":0.731}"#)
        #expect(reading.matchText == "0.73")

        // No calibration: nothing invented.
        let uncalibrated = MatchReading(known, alignment: alignment, calibration: nil)
        #expect(uncalibrated.match == nil && uncalibrated.jsonFields.isEmpty && uncalibrated.matchText == "")

        // Mostly unknown words: match null, with the words and the warning.
        let unknown = MatchReading(try Self.input("a zorblax quux"), alignment: alignment, calibration: Self.calibration)
        #expect(unknown.match == nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(JSON.object(unknown.jsonFields).text.utf8)) as? [String: Any])
        #expect(object["match"] is NSNull)
        #expect(object["unknown_words"] as? [String] == ["zorblax", "quux"])
        #expect((object["warning"] as? String)?.contains("2 of 3 words are unknown") == true)
    }

    @Test func scoreAlignAndThePageShowMatch() throws {
        let scorer = PairScorer(aligner: Self.calibrated, encoder: ShippedModels.encoder, maxPixels: 100_000_000, capacity: 4)
        let photo = ShippedModels.repository.appendingPathComponent("examples/chelsea.jpg").path
        let result = scorer.score(image: photo, sentence: "a cat on a table")
        let scored = try result.outcome.get()
        let match = try #require(scored.reading.match)
        #expect(match == Self.calibration.probability(normalizedScore: scored.alignment.normalized))
        let fields = result.tsv.split(separator: "\t", omittingEmptySubsequences: false)
        #expect(fields.count == 5 && fields[4] == MatchReading.text(match), "\(result.tsv)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.json.utf8)) as? [String: Any])
        #expect(abs((object["match"] as? Double ?? -1) - Double(match)) < 1e-3)
        #expect(object["unknown_words"] == nil)

        // Mostly unknown: an empty match column, and null in JSON.
        let unknown = scorer.score(image: photo, sentence: "zorblax quux cat")
        #expect(unknown.tsv.hasSuffix("\t"), "\(unknown.tsv)")
        #expect(unknown.json.contains(#""match":null"#) && unknown.json.contains(#""unknown_words":["zorblax","quux"]"#))

        // align: the table's last line and the page.
        let input = try Self.input("a cat on a table")
        let text = AlignmentText(image: "chelsea.jpg", input: input, alignment: scored.alignment, calibration: Self.calibration)
        #expect(text.table.hasSuffix(", match \(MatchReading.text(match))"), "\(text.table)")
        #expect(text.json.contains(#""match":"#))
        let page = AlignmentPage(imageName: "chelsea.jpg", imageBytes: Data([0xFF, 0xD8]), mimeType: "image/jpeg", width: 4,
                                 height: 3, sentence: input.text, tokens: input.tokens, known: input.known,
                                 alignment: scored.alignment, reading: text.reading)
        #expect(try page.html().contains("<strong>match \(MatchReading.text(match))</strong>"))
        let hostile = try Self.input("<b>zorblax</b> quux cat")
        let count = hostile.tokens.count
        let hostileAlignment = PairAlignment(raw: 1, normalized: 1 / Float(count), alignment: Array(repeating: 49, count: count),
                                             wordScores: Array(repeating: 1 / Float(count), count: count))
        let warned = AlignmentPage(imageName: "x.jpg", imageBytes: Data([0xFF, 0xD8]), mimeType: "image/jpeg", width: 4, height: 3,
                                   sentence: hostile.text, tokens: hostile.tokens, known: hostile.known, alignment: hostileAlignment,
                                   reading: MatchReading(hostile, alignment: hostileAlignment, calibration: Self.calibration))
        let html = try warned.html()
        #expect(html.contains("class=\"match warning\"") && !html.contains("<b>zorblax") && !html.contains("<strong>match"))

        // Uncalibrated: the table and JSON are as before.
        let plain = AlignmentText(image: "chelsea.jpg", input: input, alignment: scored.alignment, calibration: nil)
        #expect(!plain.table.contains("match") && !plain.json.contains("match"))
    }

    @Test func aCaptionRecordCarriesMatchBesideConfidence() throws {
        let pipeline = try CaptionPipeline(captioner: ShippedModels.captioner, encoder: ShippedModels.encoder,
                                           aligner: Self.calibrated, policy: DecodingPolicy(), reranks: false)
        let record = pipeline.record(image: "chelsea.jpg", photo: ShippedModels.photos[1].features)
        let confidence = try #require(record.confidence)
        #expect(record.match == Self.calibration.probability(normalizedScore: confidence))
        #expect(record.jsonLine.contains(#""match":"#))
        #expect(BatchRecord(jsonLine: record.jsonLine)?.match.map { abs($0 - record.match!) < 1e-3 } == true)
        // An aligner without a calibration: confidence only.
        var uncalibrated = ShippedModels.aligner
        uncalibrated.calibration = nil
        let plain = try CaptionPipeline(captioner: ShippedModels.captioner, encoder: ShippedModels.encoder,
                                        aligner: uncalibrated, policy: DecodingPolicy(), reranks: false)
        #expect(plain.record(image: "chelsea.jpg", photo: ShippedModels.photos[1].features).match == nil)
    }

    /// `--calibrate`'s fit reads a split's score matrix: the diagonal pairs (each sentence with its
    /// own image) are the positives, all others the negatives.
    @Test func calibrationSplitsTheScoreMatrixByEachSentencesImage() throws {
        // 2 images × 3 sentences of one word each (S / words = S), h = 1, one region per image.
        let regions = [Tensor(shape: [1, 1], data: [1]), Tensor(shape: [1, 1], data: [-1])]
        let sentences = [Tensor(shape: [1, 1], data: [2]), Tensor(shape: [1, 1], data: [1]), Tensor(shape: [1, 1], data: [-3])]
        let matrix = AlignmentScoreMatrix(regionEmbeddings: regions, sentenceEmbeddings: sentences)
        // Sentences 0 and 1 belong to image 0, sentence 2 to image 1: positives 2, 1, 3; negatives −2, −1, −3.
        let fit = try AlignerCalibration(scores: matrix, sentenceImages: [0, 0, 1])
        #expect(fit.positives == 3 && fit.negatives == 3)
        #expect(fit.medianPositive == 2 && fit.medianNegative == -2)
        #expect(fit.calibration.probability(normalizedScore: 2) > 0.5 && fit.calibration.probability(normalizedScore: -2) < 0.5)
        #expect(fit.summary.count == 4 && fit.summary[1].contains("→ match 0.50"))
        // One image: no mismatched pair, so nothing to calibrate on.
        #expect(throws: CaptionError.self) {
            try AlignerCalibration(scores: AlignmentScoreMatrix(regionEmbeddings: [regions[0]], sentenceEmbeddings: sentences),
                                   sentenceImages: [0, 0, 0])
        }
    }
}
