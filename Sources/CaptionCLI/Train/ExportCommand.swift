import ArgumentParser
import Captioning
import Foundation
import Weights

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

        Example:
          caption export runs/flickr8k --out weights/captioner.safetensors
        """)

    @Argument(help: ArgumentHelp("A trained captioner: file or training folder.", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("Output file; the manifest goes beside it as NAME.manifest.json.", valueName: "file"))
    var out: String

    func run() throws {
        let file = try CaptionerLoader.load(model)
        let output = URL(fileURLWithPath: out)
        let manifestURL = output.deletingPathExtension().appendingPathExtension("manifest.json")
        do {
            try file.write(to: output, dtype: .f16)
            var manifest: [String: Any] = [
                "file": output.lastPathComponent,
                "sha256": try SHA256.hexDigest(ofFileAt: output),
                "bytes": (try FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int) ?? 0,
                "dtype": "F16",
                "vocabulary_size": file.vocabulary.count,
                "config": try JSONSerialization.jsonObject(with: JSONEncoder().encode(file.model.config)),
                "feature_pooling": file.features?.pooling.rawValue ?? "none (text-only)",
                "parameters": file.model.parameterCount,
            ]
            for (key, value) in file.info { manifest[key] = value }
            let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try data.write(to: manifestURL, options: .atomic)
        } catch {
            reportError(out, "\(error)")
            throw ExitCode(1)
        }
        emit("wrote \(output.path) and \(manifestURL.lastPathComponent)")
    }
}
