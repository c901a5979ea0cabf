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
        Until the trained captioner ships, `caption IMAGE…` prints a summary of the encoder's \
        features for each photo (the same as `caption features`).

        Examples:
          caption examples/chelsea.jpg
          caption features photo.jpg --json
          caption features *.jpg --out features.safetensors
          caption import-weights vgg16.onnx
          caption bench encoder
        """,
        version: version,
        subcommands: [FeaturesCommand.self, ImportWeightsCommand.self, BenchCommand.self],
        defaultSubcommand: FeaturesCommand.self
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
