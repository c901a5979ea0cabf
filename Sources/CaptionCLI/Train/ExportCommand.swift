import Application
import ArgumentParser
import Captioning
import Foundation

/// `caption export`: a trained captioner → the compact file that ships, plus its manifest.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained captioner as a float16 file with a manifest, ready to ship.",
        discussion: """
        Reads a model (a file, or a training folder's model.safetensors), stores its tensors as \
        float16 (half the size; decoding is unaffected in practice), and writes a manifest \
        beside it: sha256, vocabulary size, settings, the training command, dev scores and \
        training time recorded at training.

        --ensemble adds other trained captioners as members decoded together with the first \
        (each step averages their word probabilities). Members must share the vocabulary, i.e. \
        come from runs on the same training data; their seeds, settings and decoders may differ \
        (show-tell members beside attention ones, each reading its own image features). The \
        manifest then describes each member.

        Examples:
          caption export runs/flickr8k --out weights/captioner.safetensors
          caption export runs/a --ensemble runs/b --out weights/captioner.safetensors
        """)

    @Argument(help: ArgumentHelp("A trained captioner: file or training folder.", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("Output file; the manifest goes beside it as NAME.manifest.json.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Another trained captioner to decode together with the first (repeatable).", valueName: "model"))
    var ensemble: [String] = []

    func run() throws {
        var export = CaptionerExport(try ModelFiles.captioner(model))
        for path in ensemble {
            do { try export.add(try ModelFiles.captioner(path)) } catch let error as CaptionModelFileError {
                throw CaptionError.input(path, "cannot join the ensemble: \(error)")
            }
        }
        let output = URL(fileURLWithPath: out)
        do {
            let manifest = try export.write(to: output)
            emit("wrote \(output.path) and \(manifest.lastPathComponent)")
        } catch {
            throw CaptionError.input(out, "\(error)")
        }
    }
}
