import Foundation
import Testing

/// `caption IMAGE…` with the shipped model: one line per photo in order, JSON with the n-best,
/// errors per file without stopping the batch.
@Suite struct CaptionImagesCommandTests {
    static let photos = ["chelsea", "coffee", "rocket"].map { CLI.fixtures.appendingPathComponent("encoder/\($0).png").path }
    static let bad = CLI.fixtures.appendingPathComponent("decoding/bad/truncated.jpg").path

    @Test func oneCaptionLinePerPhotoInOrder() throws {
        let result = try CLI.run(Self.photos)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 3)
        for line in lines {
            #expect(line.split(separator: " ").count >= 3, "a sentence, not '\(line)'")
            #expect(!line.contains("<unk>") && !line.contains("<end>") && !line.contains("<start>"))
        }
        // Each photo alone gives the same caption as in the batch.
        let alone = try CLI.run([Self.photos[1]])
        #expect(alone.stdout == String(lines[1]) + "\n")
    }

    @Test func aBadFileGetsAnEmptyLineAndAnErrorAndTheRestGoOn() throws {
        let result = try CLI.run([Self.photos[0], Self.bad, Self.photos[2]])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 3)
        #expect(lines[1].isEmpty && !lines[0].isEmpty && !lines[2].isEmpty)
        #expect(result.stderr.hasPrefix("caption: error: \(Self.bad): "))
    }

    @Test func jsonHasTheNBestSortedWithLogProbabilities() throws {
        let result = try CLI.run(["--json", "--no-rerank", "--beam-size", "5", "--n-best", "3", Self.photos[0], Self.bad])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["image"] as? String == Self.photos[0])
        let beams = try #require(object["beams"] as? [[String: Any]])
        #expect(beams.count == 3)
        let logprobs = beams.compactMap { $0["logprob"] as? Double }
        #expect(logprobs == logprobs.sorted(by: >))
        #expect(object["caption"] as? String == beams[0]["caption"] as? String)
        for beam in beams {
            // The per-word log-probabilities (with the end token's) add up to the total.
            let words = try #require(beam["word_logprobs"] as? [Double])
            #expect(abs(words.reduce(0, +) - (beam["logprob"] as? Double ?? 0)) < 1e-2)
        }
        let captions = beams.compactMap { $0["caption"] as? String }
        #expect(Set(captions).count == captions.count, "n-best must be distinct")
        let error = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(error["image"] as? String == Self.bad)
        #expect((error["error"] as? String)?.isEmpty == false)
    }

    @Test func greedyEqualsBeamOneAndSamplingRepeatsWithASeed() throws {
        let greedy = try CLI.run(["--greedy", Self.photos[0]])
        let beamOne = try CLI.run(["--beam-size", "1", Self.photos[0]])
        #expect(greedy.stdout == beamOne.stdout)
        let sampleA = try CLI.run(["--sample", "--temperature", "0.8", "--seed", "5", Self.photos[0]])
        let sampleB = try CLI.run(["--sample", "--temperature", "0.8", "--seed", "5", Self.photos[0]])
        #expect(sampleA.status == 0 && sampleA.stdout == sampleB.stdout)
    }

    /// With the shipped aligner, --json carries its per-word score of the chosen caption, and
    /// re-ranking (on by default) chooses from the beam by the mix of both scores.
    @Test func confidenceAndReranking() throws {
        let plain = try CLI.run(["--json", "--no-rerank", "--beam-size", "5", "--n-best", "5", Self.photos[0]])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        #expect(object["confidence"] is Double)
        let reranked = try CLI.run(["--json", "--rerank", "--beam-size", "5", "--n-best", "5", Self.photos[0]])
        #expect(reranked.status == 0, "\(reranked.stderr)")
        let rerankedObject = try #require(try JSONSerialization.jsonObject(with: Data(reranked.stdout.utf8)) as? [String: Any])
        // The same five candidates, possibly in another order.
        let captions = { (o: [String: Any]) in Set(((o["beams"] as? [[String: Any]]) ?? []).compactMap { $0["caption"] as? String }) }
        #expect(captions(object) == captions(rerankedObject))
        // The shipped aligner is present, so the default is to re-rank.
        let byDefault = try CLI.run(["--json", "--beam-size", "5", "--n-best", "5", Self.photos[0]])
        #expect(byDefault.stdout == reranked.stdout)
        // Weight 0 ranks by the captioner alone: log-probability per token.
        let none = try CLI.run(["--json", "--rerank", "--rerank-weight", "0", "--beam-size", "5", "--n-best", "5", Self.photos[0]])
        let noneObject = try #require(try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [String: Any])
        let perToken = ((noneObject["beams"] as? [[String: Any]]) ?? []).map { beam in
            (beam["logprob"] as? Double ?? 0) / Double(max(1, (beam["word_logprobs"] as? [Double])?.count ?? 1))
        }
        #expect(perToken == perToken.sorted(by: >), "\(perToken)")
        #expect(try CLI.run(["--rerank", "--greedy", Self.photos[0]]).status == 2)
        #expect(try CLI.run(["--rerank", "--rerank-weight", "1.5", Self.photos[0]]).status == 2)
    }

    @Test func readsStdin() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.photos[0]))
        let piped = try CLI.run(["-"], stdin: data)
        let direct = try CLI.run([Self.photos[0]])
        #expect(piped.status == 0 && piped.stdout == direct.stdout)
    }

    @Test func decodingOptionsAreValidated() throws {
        for arguments in [["--beam-size", "0"], ["--beam-size", "21"], ["--n-best", "4", "--beam-size", "3"],
                          ["--temperature", "0", "--sample"], ["--greedy", "--sample"]] {
            let result = try CLI.run(arguments + [Self.photos[0]])
            #expect(result.status == 2, "\(arguments) should be a usage error")
        }
    }

    @Test func aMissingModelIsOneClearLine() throws {
        let result = try CLI.run(["--model", "/nonexistent/model.safetensors", Self.photos[0]])
        #expect(result.status == 1)
        #expect(result.stderr == "caption: error: /nonexistent/model.safetensors: no such model file\n")
    }
}
