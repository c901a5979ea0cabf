import ArgumentParser
import Captioning
import Foundation

/// Finds and loads a trained captioner: `--model FILE`, `--model DIR` (its model.safetensors),
/// or the shipped `weights/captioner.safetensors`.
enum CaptionerLoader {
    static func load(_ path: String?) throws -> CaptionModelFile {
        var url = path.map { URL(fileURLWithPath: $0) } ?? WeightsDirectory.locate("captioner.safetensors")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("model.safetensors")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            reportError(url.path, path == nil ? "the shipped captioner is missing (weights/captioner.safetensors is in git: is the checkout complete?)"
                                              : "no such model file")
            throw ExitCode(1)
        }
        do {
            return try CaptionModelFile.read(contentsOf: url)
        } catch {
            reportError(url.path, "\(error)")
            throw ExitCode(1)
        }
    }
}
