import Foundation
import Testing

/// Every numeric option of every command, given hostile values: each run ends in bounded time
/// with 0 or 1, or is refused with exit 2 and one line that names the option. Never a crash
/// ("Illegal instruction" was exit 132), a hang, or a multi-line error.
@Suite struct HostileOptionTests {
    static let photo = CLI.fixtures.appendingPathComponent("encoder/chelsea.png").path
    static let missing = "/nonexistent/caption-tests"

    /// Each command with everything else valid (or, for the slow commands, a missing dataset,
    /// so a value that passes validation stops at the next check), and its numeric options.
    static let commands: [(arguments: [String], options: [String])] = [
        ([photo], ["--beam-size", "--n-best", "--max-length", "--length-penalty", "--no-repeat-ngram",
                   "--temperature", "--seed", "--rerank-weight", "--max-pixels"]),
        (["batch", missing, "--out", "/tmp/x.jsonl"], ["--jobs", "--batch-size"]),
        (["score", photo, "a cat"], ["--image-cache"]),
        (["retrieve", "--images", missing, "--query", "a cat"], ["--top"]),
        (["sample", "--model", missing], ["--count", "--max-length", "--temperature"]),
        (["train", "captioner", "--data", missing], ["--epochs", "--batch-size", "--learning-rate", "--learning-rate-decay",
                                                      "--decay-every", "--clip-norm", "--checkpoint-every", "--min-count",
                                                      "--embedding-size", "--hidden-size", "--dropout", "--max-length",
                                                      "--beam-size"]),
        (["train", "captioner", "--data", missing, "--decoder", "attention"], ["--region-grid", "--attention-penalty"]),
        (["train", "aligner", "--data", missing], ["--batch-size", "--hidden-size", "--word-size", "--margin",
                                                    "--regularization"]),
        (["evaluate", "captions", "--data", missing], ["--beam-size", "--max-length", "--length-penalty"]),
        (["bench", "encoder"], ["--runs", "--size", "--onnxruntime"]),
        (["bench", "decoder", photo], ["--runs"]),
        (["bench", "end-to-end", photo], ["--runs", "--onnxruntime"]),
        // An address that cannot be bound, so a value that passes validation ends at the bind.
        (["serve", "--host", "256.0.0.1"], ["--port", "--max-body", "--batch-size", "--batch-window", "--queue", "--timeout",
                                            "--max-pixels"]),
    ]

    /// Out of range for every option (negative, not a number, infinite, huge), then 0, which is
    /// in range for some.
    static let alwaysRefused = ["-1", "nan", "inf", "-inf", "1e30", "99999999999999999999"]

    @Test(arguments: commands.indices)
    func hostileValuesAreRefusedByName(command: Int) throws {
        let (arguments, options) = Self.commands[command]
        for option in options {
            for value in Self.alwaysRefused {
                let result = try CLI.run(arguments + [option, value], launcher: ["/usr/bin/timeout", "120"])
                let lines = result.stderr.split(separator: "\n")
                #expect(result.status == 2, "\(arguments) \(option) \(value): status \(result.status): \(result.stderr)")
                #expect(lines.count == 1 && lines[0].hasPrefix("caption: error: ") && lines[0].contains(option),
                        "\(arguments) \(option) \(value): \(result.stderr)")
            }
        }
    }

    @Test(arguments: commands.indices)
    func zeroEndsCleanlyInBoundedTime(command: Int) throws {
        let (arguments, options) = Self.commands[command]
        for option in options where !arguments.starts(with: ["bench"]) {
            let result = try CLI.run(arguments + [option, "0"], launcher: ["/usr/bin/timeout", "120"])
            #expect([0, 1, 2].contains(result.status), "\(arguments) \(option) 0: status \(result.status): \(result.stderr)")
            for line in result.stderr.split(separator: "\n") {
                #expect(line.hasPrefix("caption: "), "\(arguments) \(option) 0: \(result.stderr)")
            }
        }
    }

    @Test func anOverlongMaxLengthIsRefusedAtOnce() throws {
        let result = try CLI.run([Self.photo, "--max-length", "100000"])
        #expect(result.status == 2)
        #expect(result.stderr == "caption: error: --max-length: must be in 1…100, got 100000\n")
    }

    @Test func aNegativeNumberAfterASpaceIsReadAsTheValue() throws {
        let result = try CLI.run([Self.photo, "--temperature", "-1", "--sample"])
        #expect(result.stderr == "caption: error: --temperature: must be in 0.01…100.0, got -1.0\n")
        let penalty = try CLI.run([Self.photo, "--length-penalty", "-3"])
        #expect(penalty.status == 2 && penalty.stderr.contains("--length-penalty"))
    }

    @Test func maxLengthOneGivesOneWord() throws {
        for extra in [[], ["--greedy"], ["--no-rerank", "--beam-size", "5"]] {
            let result = try CLI.run([Self.photo, "--max-length", "1"] + extra)
            #expect(result.status == 0)
            #expect(result.stdout.split(separator: " ").count == 1, "\(extra): \(result.stdout)")
        }
    }

    @Test func missingInputsAreBadUsageInEveryCommand() throws {
        let runs: [[String]] = [
            ["batch", Self.missing, "--out", "/tmp/caption-tests-out.jsonl"],
            ["score", "--pairs", Self.missing],
            ["retrieve", "--images", Self.missing, "--query", "a dog"],
            ["evaluate", "captions", "--data", Self.missing],
            ["evaluate", "alignment", "--data", Self.missing],
            ["train", "captioner", "--data", Self.missing],
            ["train", "aligner", "--data", Self.missing],
            ["evaluate", "captions", "--data", CLI.fixtures.appendingPathComponent("datasets/flickr8k-mini").path,
             "--results", Self.missing],
        ]
        for arguments in runs {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(Self.missing),
                    "\(arguments): \(result.stderr)")
        }
    }

    @Test func aFileNameWithANewlineGivesOneErrorLine() throws {
        let result = try CLI.run(["/nonexistent/bad\nname.jpg"])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("caption: error: /nonexistent/bad\\nname.jpg: "))
    }
}
