import Foundation
import Testing

/// `caption score --pairs` on 10,000 lines mixing good pairs with bad paths, empty sentences,
/// missing tabs and 250-word sentences (with the shipped aligner): exactly one output line per
/// input line, in order, each bad one marked with its error, and the run finishes.
@Suite struct PairsStressTests {
    @Test func tenThousandMixedLinesGiveTenThousandResults() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let photos = ["astronaut", "coffee", "rocket", "chelsea"].map { CLI.repository.appendingPathComponent("examples/\($0).jpg").path }
        let long = Array(repeating: "dog", count: 250).joined(separator: " ")
        var lines: [String] = []
        for i in 0..<10_000 {
            switch i % 10 {
            case 0: lines.append("/nonexistent/photo\(i).jpg\ta dog runs")
            case 1: lines.append("\(photos[1])\t")
            case 2: lines.append("\(photos[0])\t\(long)")
            case 3: lines.append("\(photos[2]) no tab here")
            default: lines.append("\(photos[i % 4])\ta man in a white shirt is smiling")
            }
        }
        let input = dir.appendingPathComponent("pairs.tsv")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)

        let result = try CLI.run(["score", "--pairs", input.path])
        #expect(result.status == 1, "some lines failed, so the exit status is 1")
        let output = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(output.count == lines.count)
        for (i, line) in output.enumerated() {
            let isError = line.contains("\terror:")
            guard isError == (i % 10 < 4) else {
                Issue.record("line \(i + 1): \(line.prefix(120))")
                return
            }
        }
        #expect(output[2].hasSuffix("error:sentence has 250 words, more than the limit of 200"))
    }
}
