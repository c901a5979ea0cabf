import ArgumentParser
import Captioning
import Foundation

/// Finds and loads a trained captioner: `--model FILE`, `--model DIR` (its model.safetensors),
/// or the shipped `weights/captioner.safetensors`.
enum CaptionerLoader {
    static func load(_ path: String?) throws -> CaptionModelFile {
        let url = try ModelPath.resolve(path, shipped: "captioner", kind: "model")
        do {
            return try CaptionModelFile.read(contentsOf: url)
        } catch {
            reportError(url.path, "\(error)")
            throw ExitCode(1)
        }
    }
}
