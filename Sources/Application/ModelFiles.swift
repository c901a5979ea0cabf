import Alignment
import Captioning
import Encoder
import Foundation
import Support
import Tensors
import Text

/// Where the models live and how they load, the same way for every command: a `--model` may be
/// a file or a training output folder (its `model.safetensors`); without one, the shipped file
/// under `weights/` is used. Every failure is a `CaptionError` naming the file.
public enum ModelFiles {
    /// The project's weights folder: `$CAPTION_WEIGHTS_DIR` if set, else the `weights/` folder
    /// of the checkout the running binary was built in, else `./weights`.
    public static func shipped(_ fileName: String) -> URL {
        let fileManager = FileManager.default
        if let dir = ProcessInfo.processInfo.environment["CAPTION_WEIGHTS_DIR"] {
            return URL(fileURLWithPath: dir).appendingPathComponent(fileName)
        }
        // The binary sits in <checkout>/.build/<config>/caption: walk up to the checkout's weights/.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            var isDirectory: ObjCBool = false
            let candidate = dir.appendingPathComponent("weights")
            if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue,
               fileManager.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return candidate.appendingPathComponent(fileName)
            }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "weights").appendingPathComponent(fileName)
    }

    /// Whether `weights/aligner.safetensors` is there: the shipped captioner is then re-ranked
    /// and its captions get a confidence by default.
    public static var alignerIsShipped: Bool {
        FileManager.default.fileExists(atPath: shipped("aligner.safetensors").path)
    }

    /// Whether `path` (a `--model` argument; nil for none) names the shipped captioner.
    public static func isShippedCaptioner(_ path: String?) -> Bool {
        guard let path else { return true }
        let shippedPath = shipped("captioner.safetensors").standardizedFileURL.path
        return (try? resolve(path, shipped: "captioner", kind: "captioner"))?.standardizedFileURL.path == shippedPath
    }

    /// The file a `--model` argument names: the file itself, a training folder's
    /// `model.safetensors`, or, for nil, `weights/<shipped>.safetensors`.
    public static func resolve(_ path: String?, shipped name: String, kind: String) throws(CaptionError) -> URL {
        var url = path.map { URL(fileURLWithPath: $0) } ?? shipped("\(name).safetensors")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("model.safetensors")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .input(url.path, path == nil
                ? "the shipped \(name) is missing (weights/\(name).safetensors is in git: is the checkout complete?)"
                : "no such \(kind) file")
        }
        return url
    }

    /// The VGG16 encoder: `path`, or `weights/vgg16.safetensors` (made by scripts/setup).
    public static func encoder(_ path: String?) throws(CaptionError) -> VGGEncoder {
        try load(try encoderFile(path)) { try VGGEncoder(contentsOf: $0) }
    }

    /// The VGG16 weights file a `--weights` argument names (nil: the shipped one), checked to exist.
    public static func encoderFile(_ path: String?) throws(CaptionError) -> URL {
        let url = path.map { URL(fileURLWithPath: $0) } ?? shipped("vgg16.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .input(url.path, "VGG16 weights not found; run scripts/setup (or caption import-weights FILE.onnx)")
        }
        return url
    }

    /// A trained captioner (or text-only language model).
    public static func captioner(_ path: String?) throws(CaptionError) -> CaptionModelFile {
        try load(try resolve(path, shipped: "captioner", kind: "model")) { try CaptionModelFile.read(contentsOf: $0) }
    }

    /// The word embedding `[V, E]` of the captioner at `path` (an aligner's starting point),
    /// if its vocabulary is exactly `vocabulary`, which was built as `built` says.
    public static func captionerEmbedding(_ path: String, vocabulary: Vocabulary, built: String) throws(CaptionError) -> Tensor {
        let file = try captioner(path)
        guard file.vocabulary == vocabulary else {
            throw .input(path, "the captioner's vocabulary (\(file.vocabulary.count) words) differs from the one built from "
                         + "\(built) (\(vocabulary.count) words); train both on the same captions")
        }
        guard let embedding = file.model.parameters[CaptionModel.embedName] else {
            throw .input(path, "the captioner has no '\(CaptionModel.embedName)' tensor")
        }
        return embedding
    }

    /// A trained aligner.
    public static func aligner(_ path: String?) throws(CaptionError) -> AlignmentModelFile {
        try load(try resolve(path, shipped: "aligner", kind: "aligner")) { try AlignmentModelFile.read(contentsOf: $0) }
    }

    private static func load<Model>(_ url: URL, _ read: (URL) throws -> Model) throws(CaptionError) -> Model {
        do {
            return try read(url)
        } catch {
            throw .input(url.path, "\(error)")
        }
    }
}
