import ArgumentParser
import Foundation

/// The `caption` command: every capability of the toolkit behind one program.
@main
struct CaptionCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "caption",
        abstract: "Describe photos in words, natively: a VGG16 encoder and a recurrent decoder.",
        discussion: """
        `caption IMAGE…` (the default subcommand, `images`) prints one caption a line; see \
        `caption help images` for beam search, sampling and JSON output.

        Examples:
          caption examples/chelsea.jpg
          caption *.jpg --json --n-best 3
          caption features photo.jpg --json
          caption train captioner --data ../shared/datasets/flickr8k --out runs/flickr8k
          caption evaluate captions --data ../shared/datasets/flickr8k --split dev
          caption score photo.jpg "a dog runs on the beach"
          caption retrieve --images photos/ --query "a dog runs on the beach"
          caption align photo.jpg "a dog runs on the beach" --html align.html
          caption bench encoder
        """,
        version: version,
        subcommands: [CaptionImagesCommand.self, FeaturesCommand.self, ScoreCommand.self, RetrieveCommand.self,
                      AlignCommand.self, BatchCommand.self, TrainCommand.self, EvaluateCommand.self,
                      SampleCommand.self, ExportCommand.self, ImportWeightsCommand.self, BenchCommand.self],
        defaultSubcommand: CaptionImagesCommand.self
    )

    /// Runs the command line. Exit status: 0 success, 1 bad input (reported per file on stderr),
    /// 2 bad usage — instead of ArgumentParser's 64, the convention scripts expect.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
