import Foundation
import Testing

/// A copy of the shipped aligner with a `calibration` (match = σ(a · S/words + b)) written into
/// its safetensors header; the tensor bytes are untouched (their offsets count from the end of
/// the header, so the header may change length).
enum CalibratedAligner {
    static let a = 8.0, b = -1.0

    static func write(to url: URL) throws {
        let data = try Data(contentsOf: CLI.repository.appendingPathComponent("weights/aligner.safetensors"))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
        var metadata = header["__metadata__"] as? [String: String] ?? [:]
        metadata["calibration"] = "{\"a\":\(a),\"b\":\(b)}"
        header["__metadata__"] = metadata
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var file = Data((0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
        file.append(json)
        file.append(data.subdata(in: (8 + length)..<data.count))
        try file.write(to: url)
    }

    static func match(_ normalized: Double) -> Double { 1 / (1 + exp(-(a * normalized + b))) }

    /// A weights folder (`CAPTION_WEIGHTS_DIR`) holding the shipped files, the aligner calibrated.
    static func weightsFolder() throws -> URL {
        let folder = try CLI.temporaryDirectory()
        let shipped = CLI.repository.appendingPathComponent("weights")
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped.path) where name != "aligner.safetensors" {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name),
                                                       withDestinationURL: shipped.appendingPathComponent(name))
        }
        try write(to: folder.appendingPathComponent("aligner.safetensors"))
        return folder
    }
}

/// With a calibrated aligner, the server's scores and alignments carry "match" (equal to
/// `caption score`'s), `caption photo.jpg --json` carries it beside "confidence", and a sentence
/// of mostly unknown words gets a "warning", its unknown words and a null match instead.
@Suite struct ServeMatchTests {
    @Test func scoresAndAlignmentsCarryMatchAndWarnings() throws {
        let directory = try CLI.temporaryDirectory()
        let aligner = directory.appendingPathComponent("calibrated.safetensors")
        try CalibratedAligner.write(to: aligner)
        let server = try ServerProcess(["--aligner", aligner.path])
        Serve.stopAtExit(server)
        defer { server.process.terminate() }
        let sentences = ["a cat lying on a bed", "a zorblax quux glimmerfen cat"]
        let photo = Serve.example("chelsea")
        let cli = try CLI.run(["score", "--pairs", "-", "--json", "--model", aligner.path],
                              stdin: Data(sentences.map { "\(photo.path)\t\($0)" }.joined(separator: "\n").utf8))
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stderr == "caption: warning: <stdin>:2: \"\(sentences[1])\": 3 of 5 words are unknown to the aligner "
                + "(zorblax, quux, glimmerfen): its score says little\n")
        let expected = try Serve.jsonLines(cli.stdout)

        let answer = try server.postForm("/v1/scores", photo: try Serve.photo("chelsea"), fields: sentences.map { ("sentence", $0) })
        #expect(answer.status == 200, "\(answer.text)")
        let scores = try #require(answer.json?["scores"] as? [[String: Any]], "\(answer.text)")
        try #require(scores.count == 2 && expected.count == 2)
        for (score, want) in zip(scores, expected) {
            let differences = Serve.differences(score, want.filter { $0.key != "line" && $0.key != "image" })
            #expect(differences.isEmpty, "\(differences)")
        }
        let match = try #require(scores[0]["match"] as? Double)
        #expect(abs(match - CalibratedAligner.match(scores[0]["normalized"] as? Double ?? .nan)) < 2e-3)
        #expect(scores[1]["match"] is NSNull && scores[1]["unknown_words"] as? [String] == ["zorblax", "quux", "glimmerfen"])
        #expect((scores[1]["warning"] as? String)?.hasSuffix("its score says little") == true)

        let alignment = try server.postForm("/v1/alignments", photo: try Serve.photo("chelsea"), fields: [("sentence", sentences[1])])
        #expect(alignment.status == 200 && alignment.json?["match"] is NSNull && alignment.json?["warning"] is String, "\(alignment.text)")
        let known = try server.postForm("/v1/alignments", photo: try Serve.photo("chelsea"), fields: [("sentence", sentences[0])])
        #expect(abs((known.json?["match"] as? Double ?? -1) - match) < 2e-3, "\(known.text)")
    }

    @Test func captionJSONCarriesMatchBesideConfidence() throws {
        let weights = try CalibratedAligner.weightsFolder()
        let result = try CLI.run([Serve.example("chelsea").path, "--json"], environment: ["CAPTION_WEIGHTS_DIR": weights.path])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try Serve.jsonLines(result.stdout).first)
        let confidence = try #require(object["confidence"] as? Double, "\(result.stdout)")
        let match = try #require(object["match"] as? Double, "\(result.stdout)")
        #expect(abs(match - CalibratedAligner.match(confidence)) < 2e-3)
    }
}
