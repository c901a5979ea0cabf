import Application
import ArgumentParser
import Foundation
import Support

/// `caption retrieve`: the photos of a folder that a sentence describes best.
struct RetrieveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieve",
        abstract: "Find the photos in a folder that best match a sentence (image search).",
        discussion: """
        Every photo under --images (recursively, found by content as `caption batch` finds them) is \
        encoded into the feature cache, keyed \
        by the SHA-256 of its bytes, so only new or changed photos are encoded and a second query \
        on the same folder starts at once. Photos are ranked by the aligner's score S (paper \
        eq. 8; for one query, S / words ranks the same).

        \(MatchReading.help)

        Output: the top --top photos, best first, one line each: `path<TAB>score<TAB>normalized<TAB>match`; \
        with --json one object a line {"rank", "image", "score", "normalized", "match"}. A photo that \
        cannot be read is reported on stderr and left out.

        Example:
          caption retrieve --images photos/ --query "a dog jumps over a fence" --top 5
        """)

    @Option(help: ArgumentHelp("Folder of photos to search (searched recursively).", valueName: "dir"))
    var images: String

    @Option(help: ArgumentHelp("The sentence to search for (at most 200 words).", valueName: "sentence"))
    var query: String

    @Option(help: ArgumentHelp("How many photos to print (count).", valueName: "n"))
    var top = 10

    @Option(help: ArgumentHelp("Feature cache file (encoder outputs keyed by image SHA-256; shared with training).", valueName: "file"))
    var cache: String = ".cache/features.cache"

    @OptionGroup var aligner: AlignerOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top: must be at least 1, got \(top)") }
        if let problem = SentenceInput.usageProblem(query) { throw ValidationError("--query: \(problem)") }
    }

    func run() throws {
        let file = try aligner.aligner()
        let sentence: SentenceInput
        switch SentenceInput.parse(query, with: file) {
        case .success(let input): sentence = input
        case .failure(let problem): throw CaptionError.input("--query", problem.description)
        }
        let retrieval = Retrieval(aligner: file, features: try aligner.image.cachedFeatures(cache))
        let (matches, failures) = try retrieval.rank(folder: images, query: sentence, quiet: output.quiet)
        failures.forEach(report)
        if let warning = sentence.unknownWordsWarning { warn(warning) }
        for (rank, match) in matches.prefix(top).enumerated() { emit(output.json ? match.json(rank: rank + 1) : match.tsv) }
    }
}
