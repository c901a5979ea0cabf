import Application
import ArgumentParser
import Foundation
import Support

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
          caption serve --port 8080
          caption bench encoder
        """,
        version: version,
        subcommands: [CaptionImagesCommand.self, FeaturesCommand.self, ScoreCommand.self, RetrieveCommand.self,
                      AlignCommand.self, AttendCommand.self, BatchCommand.self, ServeCommand.self, TrainCommand.self, EvaluateCommand.self,
                      SampleCommand.self, ExportCommand.self, ImportWeightsCommand.self, BenchCommand.self],
        defaultSubcommand: CaptionImagesCommand.self
    )

    /// Runs the command line. Exit status: 0 success, 1 bad input, 2 bad usage (instead of
    /// ArgumentParser's 64, the convention scripts expect). Every error that ends a command is
    /// printed here, once, as `caption: error: <file>: <reason>`.
    static func main() {
        do {
            var command = try parseAsRoot(CommandLineArguments.joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as CaptionError {
            FileHandle.standardError.write(Data("caption: error: \(error.description)\n".utf8))
            Foundation.exit(error.kind == .usage ? 2 : 1)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // One line, in the same form as every other error; `--help` has the usage.
                FileHandle.standardError.write(Data("caption: error: \(OneLine.escaped(message(for: error)))\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
