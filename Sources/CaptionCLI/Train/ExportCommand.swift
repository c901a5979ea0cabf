import Application
import ArgumentParser
import Captioning
import Foundation
import Formats
import Support

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
        (each step averages their word probabilities). Members must share the vocabulary, \
        settings and image features, i.e. come from runs on the same training data with other \
        seeds or learning rates. The manifest then describes each member.

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
        var file = try ModelFiles.captioner(model)
        var members: [[String: String]] = []
        for path in ensemble {
            let member = try ModelFiles.captioner(path)
            do { try file.addMember(member) } catch { throw CaptionError.input(path, "cannot join the ensemble: \(error)") }
            members.append(member.info)
        }
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
            if !members.isEmpty {
                manifest["ensemble_members"] = [file.info] + members
                manifest["parameters"] = file.model.parameterCount * (members.count + 1)
            }
            let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try data.write(to: manifestURL, options: .atomic)
        } catch {
            throw CaptionError.input(out, "\(error)")
        }
        emit("wrote \(output.path) and \(manifestURL.lastPathComponent)")
    }
}
