import Alignment
import Application
import Foundation
import Support
import Tensors
import Testing

/// What the application writes for people and programs: JSON lines, the batch report and the
/// alignment page, whatever the file names and scores.
@Suite struct PagesAndOutputTests {
    static let hostileName = "<img src=x onerror=alert(1)>'\".jpg"

    /// An aligner whose region map is infinite, so every score it gives is not finite.
    static func brokenAligner() throws -> AlignmentModelFile {
        let shipped = ShippedModels.aligner
        let config = AlignmentConfig(vocabularySize: shipped.vocabulary.count, featureSize: 512, wordSize: 8, hiddenSize: 8)
        var model = AlignmentModel(config: config, seed: 3)
        let name = AlignmentParameter.regionWeight.name
        model.parameters[name] = Tensor(shape: model.parameters[name]!.shape,
                                        data: [Float](repeating: .infinity, count: model.parameters[name]!.count))
        return AlignmentModelFile(model: model, vocabulary: shipped.vocabulary, tokenizer: shipped.tokenizer)
    }

    @Test func scoresThatAreNotFiniteStillMakeValidJSON() throws {
        let scorer = PairScorer(aligner: try Self.brokenAligner(), encoder: ShippedModels.encoder,
                                maxPixels: 100_000_000, capacity: 4)
        let photo = ShippedModels.repository.appendingPathComponent("examples/chelsea.jpg").path
        let result = scorer.score(image: photo, sentence: "a cat on a table", line: 3)
        guard case .success(let scored) = result.outcome else { Issue.record("not scored: \(result.json)"); return }
        #expect(!scored.alignment.raw.isFinite)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.json.utf8)) as? [String: Any])
        #expect(object["score"] is NSNull && object["normalized"] is NSNull)
        #expect(object["line"] as? Int == 3 && object["words"] as? Int == 5)
    }

    @Test func aBatchRecordWithNonFiniteScoresIsValidJSON() throws {
        let record = BatchRecord(image: Self.hostileName, candidates: [
            .init(caption: "a \"dog\"\n", logprob: -.infinity, score: .nan, wordLogprobs: [-1, .nan]),
        ], confidence: .infinity)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(record.jsonLine.utf8)) as? [String: Any])
        #expect(object["image"] as? String == Self.hostileName)
        #expect(object["logprob"] is NSNull && object["confidence"] is NSNull)
        #expect(BatchRecord(jsonLine: record.jsonLine)?.caption == "a \"dog\"\n")
    }

    @Test func theBatchReportEscapesAFileNameEverywhereItAppears() throws {
        let records = [
            BatchRecord(image: "photos/" + Self.hostileName, candidates: [
                .init(caption: "</script><script>alert(2)</script>", logprob: -3, score: -1, wordLogprobs: []),
            ]),
            BatchRecord(image: "bad/" + Self.hostileName, error: "corrupt <b>file</b>"),
        ]
        let report = BatchReport(title: "caption batch: " + Self.hostileName,
                                 summary: ["1 failed: " + Self.hostileName], records: records, thumbnails: [:])
        let html = try report.html()
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("</script><script>"))
        #expect(!html.contains("<b>file"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;&#39;&quot;.jpg"), "title and summary escaped")
        // The data block holds the names as JSON strings with `<` escaped; the page's script
        // inserts them as text.
        #expect(html.contains(#"\u003cimg src=x onerror=alert(1)>'\".jpg"#))
    }

    @Test func theAlignmentPageEscapesTheSentenceAndTheName() throws {
        let tokens = ["a", "<script>"]
        let alignment = PairAlignment(raw: 1, normalized: 0.5, alignment: [3, 49], wordScores: [0.5, 0.5])
        let page = AlignmentPage(imageName: Self.hostileName, imageBytes: Data([0xFF, 0xD8]), mimeType: "image/jpeg",
                                 width: 4, height: 3, sentence: "a <script>alert(1)</script>", tokens: tokens,
                                 known: [true, false], alignment: alignment)
        let html = try page.html()
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img src=x"))
        #expect(html.contains("&lt;script&gt;"))
        #expect(html.contains("aspect-ratio: 4 / 3"))
        #expect(!html.contains("{{"), "every template slot is filled")
    }

    @Test func resultsFilesAreReadByImageAndFileName() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        let lines = [BatchRecord(image: "x/a.jpg", candidates: [.init(caption: "a dog", logprob: -1, score: -1, wordLogprobs: [])]),
                     BatchRecord(image: "x/b.jpg", error: "corrupt")].map(\.jsonLine)
        try Data((lines.joined(separator: "\n") + "\n\n").utf8).write(to: url)
        let captions = try CaptionResults.read(url.path)
        #expect(captions["x/a.jpg"] == "a dog" && captions["a.jpg"] == "a dog")
        #expect(captions["x/b.jpg"] == nil)
        #expect(throws: CaptionError.usage(url.path + ".missing", "no such results file")) {
            _ = try CaptionResults.read(url.path + ".missing")
        }
    }

    @Test func errorsAreOneLineWhateverTheFileName() {
        let error = CaptionError.input("bad\nname.jpg", "cannot read file")
        #expect(error.description == "bad\\nname.jpg: cannot read file")
    }

    @Test func missingModelsNameTheFile() {
        #expect(throws: CaptionError.self) { _ = try ModelFiles.captioner("/nonexistent/model.safetensors") }
        do {
            _ = try ModelFiles.aligner("/nonexistent/aligner")
        } catch {
            #expect(error.description == "/nonexistent/aligner: no such aligner file")
            #expect(error.kind == .input)
        }
    }
}

/// The same through the command line: `caption score --pairs FILE --json` with an aligner whose
/// scores are not finite still writes one valid JSON object a line.
@Suite struct ScorePairsJSONTests {
    @Test func pairsJSONStaysValidWhenScoresAreNotFinite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pairs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("broken.safetensors")
        try PagesAndOutputTests.brokenAligner().write(to: model)
        let photo = ShippedModels.repository.appendingPathComponent("examples/chelsea.jpg").path
        let pairs = dir.appendingPathComponent("pairs.tsv")
        try Data("\(photo)\ta cat on a table\n\(photo)\t   \n".utf8).write(to: pairs)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("caption")
        process.arguments = ["score", "--pairs", pairs.path, "--json", "--model", model.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "the empty sentence fails")
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects[0]["score"] is NSNull && objects[0]["normalized"] is NSNull)
        #expect(objects[1]["error"] is String)
    }
}
