import Alignment
import Foundation
import Testing

/// A small aligner trained once through the CLI on the synthetic shapes dataset, shared by the
/// tests below (training and encoding the 72 images take ~20 s).
struct TrainedShapesAligner: Sendable {
    let directory: URL
    let run: URL
    let cache: URL
    let training: CLI.Result

    var images: URL { directory.appendingPathComponent("images") }
    func image(_ name: String) -> String { images.appendingPathComponent(name).path }

    static let arguments = [
        "--epochs", "30", "--batch-size", "18", "--hidden-size", "64", "--word-size", "64", "--min-count", "1",
        "--learning-rate", "0.003", "--learning-rate-decay", "1", "--checkpoint-every", "10", "--quiet", "--seed", "5",
    ]

    static let shared: TrainedShapesAligner? = {
        guard let directory = try? CLI.temporaryDirectory(),
              (try? SyntheticShapes.write(to: directory, perCombination: 3)) != nil else { return nil }
        let run = directory.appendingPathComponent("run"), cache = directory.appendingPathComponent("features.cache")
        guard let training = try? CLI.run(["train", "aligner", "--data", directory.path, "--out", run.path,
                                           "--cache", cache.path] + arguments) else { return nil }
        return TrainedShapesAligner(directory: directory, run: run, cache: cache, training: training)
    }()

    /// The image file names SyntheticShapes wrote for a color, shape and background, in order.
    func files(_ color: String, _ shape: String, _ background: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: images.path)
            .filter { $0.hasSuffix("_\(color)_\(shape)_\(background).png") }
            .sorted { Int($0.prefix { $0 != "_" })! < Int($1.prefix { $0 != "_" })! }
    }
}

/// End to end through the CLI: `train aligner`, `score` (one pair and --pairs), `evaluate
/// alignment`, `retrieve` and `align --html` on a model trained on colored shapes.
@Suite(.serialized) struct AlignerCLITests {
    func trained() throws -> TrainedShapesAligner {
        let trained = try #require(TrainedShapesAligner.shared, "could not write the dataset or run the CLI")
        #expect(trained.training.status == 0, "\(trained.training.stderr)")
        return trained
    }

    /// The score column of a TSV result line (whose match column is filled: training calibrated
    /// the saved model on its dev split).
    func score(_ trained: TrainedShapesAligner, _ image: String, _ sentence: String) throws -> Double {
        let result = try CLI.run(["score", "--model", trained.run.path, image, sentence])
        #expect(result.status == 0, "\(result.stderr)")
        let fields = result.stdout.trimmingCharacters(in: .newlines).split(separator: "\t", omittingEmptySubsequences: false)
        #expect(fields.count == 5 && Double(fields.last ?? "").map { (0...1).contains($0) } == true, "\(result.stdout)")
        return Double(fields.count == 5 ? fields[2] : "") ?? .nan
    }

    @Test func trainingReportsDevRetrievalAndResumes() throws {
        let trained = try trained()
        #expect(trained.training.stdout.contains("epoch 30 "), "\(trained.training.stdout)")
        #expect(trained.training.stdout.contains("annotation R@1/5/10"))
        #expect(FileManager.default.fileExists(atPath: trained.run.appendingPathComponent("model.safetensors").path))
        // Resuming a finished run trains no further.
        let resumed = try CLI.run(["train", "aligner", "--data", trained.directory.path, "--out", trained.run.path,
                                   "--cache", trained.cache.path, "--resume"] + TrainedShapesAligner.arguments)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(!resumed.stdout.contains("epoch "), "\(resumed.stdout)")
    }

    /// A run stopped after 6 epochs and resumed to 12 ends exactly where a straight 12-epoch run
    /// does: same epoch reports, same parameters and optimizer moments in the checkpoint.
    @Test func resumedRunMatchesAnUninterruptedOne() throws {
        let trained = try trained()
        let common = ["train", "aligner", "--data", trained.directory.path, "--cache", trained.cache.path,
                      "--batch-size", "18", "--hidden-size", "32", "--word-size", "32", "--min-count", "1",
                      "--learning-rate", "0.003", "--checkpoint-every", "7", "--quiet", "--seed", "9"]
        let split = trained.directory.appendingPathComponent("split-run").path
        let straight = trained.directory.appendingPathComponent("straight-run").path
        let first = try CLI.run(common + ["--out", split, "--epochs", "6"])
        #expect(first.status == 0, "\(first.stderr)")
        let resumed = try CLI.run(common + ["--out", split, "--epochs", "12", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let whole = try CLI.run(common + ["--out", straight, "--epochs", "12"])
        #expect(whole.status == 0, "\(whole.stderr)")

        func epochLines(_ text: String, from: Int) -> [String] {
            text.split(separator: "\n").map(String.init).filter { line in
                guard line.hasPrefix("epoch "), let n = Int(line.dropFirst(6).prefix { $0 != " " }) else { return false }
                return n >= from
            }.map { $0.replacingOccurrences(of: #"  \d+s"#, with: "", options: .regularExpression) }
        }
        #expect(epochLines(resumed.stdout, from: 1) == epochLines(whole.stdout, from: 7))
        #expect(epochLines(resumed.stdout, from: 1).count == 6)

        // The tensor bytes after the JSON header (whose key order may differ) are identical.
        func body(_ path: String) throws -> Data {
            let data = try Data(contentsOf: URL(fileURLWithPath: path).appendingPathComponent("checkpoint.safetensors"))
            let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            return data.dropFirst(8 + headerLength)
        }
        #expect(try body(split) == body(straight))
    }

    @Test func matchingSentenceScoresHigher() throws {
        let trained = try trained()
        // Held-back (dev) images: the second file of each combination.
        let redCircle = trained.image(try trained.files("red", "circle", "white")[1])
        let blueSquare = trained.image(try trained.files("blue", "square", "white")[1])
        let aboutRedCircle = "a red circle on a white background", aboutBlueSquare = "a blue square on a white background"
        #expect(try score(trained, redCircle, aboutRedCircle) > score(trained, blueSquare, aboutRedCircle))
        #expect(try score(trained, blueSquare, aboutBlueSquare) > score(trained, redCircle, aboutBlueSquare))
        #expect(try score(trained, redCircle, aboutRedCircle) > score(trained, redCircle, aboutBlueSquare))
    }

    @Test func pairsFileGivesOneLinePerInputLine() throws {
        let trained = try trained()
        let redCircle = trained.image(try trained.files("red", "circle", "white")[0])
        let missing = trained.image("no-such-photo.png")
        let long = Array(repeating: "red", count: 250).joined(separator: " ")
        let lines = [
            "\(redCircle)\ta red circle on a white background",
            "\(missing)\ta red circle",
            "\(redCircle)\t",
            "a line without a tab",
            "\(redCircle)\t\(long)",
            "\(redCircle)\ta blue square on a black background",
        ]
        let file = trained.directory.appendingPathComponent("pairs.tsv")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)

        let result = try CLI.run(["score", "--model", trained.run.path, "--pairs", file.path])
        #expect(result.status == 1)
        let output = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(output.count == lines.count, "\(result.stdout)")
        guard output.count == lines.count else { return }
        let fields = output.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(fields[0].count == 5 && Double(fields[0][2]) != nil)
        #expect(fields[1][0] == missing && fields[1][2].hasPrefix("error:"))
        #expect(fields[2][2] == "error:empty sentence (no words after removing punctuation)")
        #expect(fields[3][2].hasPrefix("error:no tab"))
        #expect(fields[4][2] == "error:sentence has 250 words, more than the limit of 200")
        #expect(fields[5].count == 5 && Double(fields[5][3]) != nil)
        // Each failed line is also reported on stderr, with its line number.
        let errors = result.stderr.split(separator: "\n")
        #expect(errors.count == 4)
        #expect(errors.first?.hasPrefix("caption: error: \(file.path):2: ") == true)

        // The same through stdin as JSON: one object a line, numbered.
        let json = try CLI.run(["score", "--model", trained.run.path, "--pairs", "-", "--json"],
                               stdin: Data(lines.joined(separator: "\n").utf8))
        #expect(json.status == 1)
        let objects = json.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.count == lines.count)
        #expect(objects.map { $0["line"] as? Int } == Array(1...lines.count))
        #expect(objects.map { $0["error"] != nil } == [false, true, true, true, true, false])
    }

    @Test func evaluateAlignmentRanksTheDevSplit() throws {
        let trained = try trained()
        let result = try CLI.run(["evaluate", "alignment", "--model", trained.run.path, "--data", trained.directory.path,
                                  "--cache", trained.cache.path, "--split", "dev", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["images"] as? Int == 18)
        let search = try #require(object["search"] as? [String: Any])
        // 18 images, 6 of them with the same color and background share almost every word:
        // R@10 is a low bar any working model clears.
        #expect((search["r10"] as? Double ?? 0) >= 90, "\(result.stdout)")
    }

    @Test func retrieveFindsTheDescribedShapes() throws {
        let trained = try trained()
        let result = try CLI.run(["retrieve", "--model", trained.run.path, "--images", trained.images.path,
                                  "--cache", trained.cache.path, "--query", "a green triangle on a black background", "--top", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.filter { $0.contains("_green_triangle_black.png\t") }.count >= 2, "\(result.stdout)")
    }

    @Test func alignWritesASelfContainedPageWithEveryWord() throws {
        let trained = try trained()
        let image = trained.image(try trained.files("red", "circle", "white")[1])
        let page = trained.directory.appendingPathComponent("align.html")
        let sentence = "A red circle on a white background, like a zebra's."
        let result = try CLI.run(["align", "--model", trained.run.path, image, sentence, "--html", page.path])
        #expect(result.status == 0, "\(result.stderr)")
        let words = ["a", "red", "circle", "on", "white", "background", "like", "zebras"]
        for word in words { #expect(result.stdout.contains("\n\(word) "), "table lacks \(word):\n\(result.stdout)") }
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(!html.contains("http://") && !html.contains("https://"), "the page references something outside itself")
        #expect(html.contains("data:image/png;base64,"))
        for word in words { #expect(html.contains(">\(word)<") || html.contains(">\(word) <"), "page lacks \(word)") }
        // No temporary file is left beside the page.
        let left = try FileManager.default.contentsOfDirectory(atPath: trained.directory.path).filter { $0.contains("align.html") }
        #expect(left == ["align.html"])
    }

    /// `evaluate alignment --calibrate` stores a calibration in (a copy of) the model; score,
    /// retrieve and align then show "match", and a sentence of mostly unknown words gets a
    /// warning and no match instead.
    @Test func calibratedModelShowsMatchAndWarnsOnUnknownWords() throws {
        let trained = try trained()
        let model = trained.directory.appendingPathComponent("calibrated.safetensors")
        try? FileManager.default.removeItem(at: model)
        try FileManager.default.copyItem(at: trained.run.appendingPathComponent("model.safetensors"), to: model)
        let calibrate = try CLI.run(["evaluate", "alignment", "--model", model.path, "--data", trained.directory.path,
                                     "--cache", trained.cache.path, "--split", "dev", "--calibrate"])
        #expect(calibrate.status == 0, "\(calibrate.stderr)")
        #expect(calibrate.stdout.contains("calibration: match = σ(a · S/words + b), a = "), "\(calibrate.stdout)")
        #expect(calibrate.stdout.contains("→ match 0.50  (can't tell)"), "\(calibrate.stdout)")

        let redCircle = trained.image(try trained.files("red", "circle", "white")[1])
        let blueSquare = trained.image(try trained.files("blue", "square", "white")[1])
        func match(_ image: String, _ sentence: String) throws -> Double {
            let result = try CLI.run(["score", "--model", model.path, image, sentence])
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
            let fields = result.stdout.trimmingCharacters(in: .newlines).split(separator: "\t", omittingEmptySubsequences: false)
            return Double(fields.last ?? "") ?? .nan
        }
        let right = try match(redCircle, "a red circle on a white background")
        let wrong = try match(blueSquare, "a red circle on a white background")
        #expect(right > 0.5 && wrong < right && (0...1).contains(wrong), "match \(right) vs \(wrong)")

        // Mostly unknown words: one warning line naming them, an empty match, null in JSON.
        let strange = "a zorblax quux circle glimmerfen"
        let warned = try CLI.run(["score", "--model", model.path, redCircle, strange])
        #expect(warned.status == 0)
        #expect(warned.stderr == "caption: warning: \"\(strange)\": 3 of 5 words are unknown to the aligner "
                + "(zorblax, quux, glimmerfen): its score says little\n")
        #expect(warned.stdout.hasSuffix("\t\n"), "\(warned.stdout)")
        let json = try CLI.run(["score", "--model", model.path, redCircle, strange, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["match"] is NSNull)
        #expect(object["unknown_words"] as? [String] == ["zorblax", "quux", "glimmerfen"])

        // retrieve and align show the match too; the uncalibrated model never does.
        let retrieve = try CLI.run(["retrieve", "--model", model.path, "--images", trained.images.path, "--cache", trained.cache.path,
                                    "--query", "a green triangle on a black background", "--top", "2", "--json"])
        #expect(retrieve.status == 0, "\(retrieve.stderr)")
        let ranked = retrieve.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(ranked.count == 2 && ranked.allSatisfy { ($0["match"] as? Double).map { (0...1).contains($0) } == true },
                "\(retrieve.stdout)")
        let align = try CLI.run(["align", "--model", model.path, redCircle, "a red circle"])
        #expect(align.stdout.range(of: #", match 0\.\d\d\n$"#, options: .regularExpression) != nil, "\(align.stdout)")
        // Training stored a calibration; without one (an older file) no match is shown at all.
        var file = try AlignmentModelFile.read(contentsOf: trained.run.appendingPathComponent("model.safetensors"))
        #expect(file.calibration != nil, "training calibrates the model it saves on the dev split")
        file.calibration = nil
        let uncalibrated = trained.directory.appendingPathComponent("uncalibrated.safetensors")
        try file.write(to: uncalibrated)
        let plain = try CLI.run(["align", "--model", uncalibrated.path, redCircle, strange, "--json"])
        #expect(plain.status == 0 && !plain.stdout.contains("\"match\"") && plain.stdout.contains("\"unknown_words\""))
        #expect(plain.stderr.hasPrefix("caption: warning: \"\(strange)\": 3 of 5 words"), "\(plain.stderr)")
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try CLI.run(["score"]).status == 2)
        #expect(try CLI.run(["score", "photo.jpg", "   "]).status == 2)
        #expect(try CLI.run(["score", "photo.jpg", "a dog", "--pairs", "x.tsv"]).status == 2)
        #expect(try CLI.run(["retrieve", "--images", ".", "--query", "a dog", "--top", "0"]).status == 2)
        #expect(try CLI.run(["train", "aligner", "--data", ".", "--batch-size", "1"]).status == 2)
    }

    @Test func aMissingModelIsOneErrorLine() throws {
        let result = try CLI.run(["score", "--model", "/nonexistent/aligner.safetensors", "photo.jpg", "a dog"])
        #expect(result.status == 1)
        #expect(result.stderr == "caption: error: /nonexistent/aligner.safetensors: no such aligner file\n")
    }
}
