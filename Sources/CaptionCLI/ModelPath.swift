import ArgumentParser
import Foundation

/// Resolves a `--model` argument the same way for every model kind: a file, a training output
/// folder (its `model.safetensors`), or, when none is given, the shipped `weights/<shipped>`.
enum ModelPath {
    static func resolve(_ path: String?, shipped: String, kind: String) throws -> URL {
        var url = path.map { URL(fileURLWithPath: $0) } ?? WeightsDirectory.locate("\(shipped).safetensors")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("model.safetensors")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            reportError(url.path, path == nil
                ? "the shipped \(shipped) is missing (weights/\(shipped).safetensors is in git: is the checkout complete?)"
                : "no such \(kind) file")
            throw ExitCode(1)
        }
        return url
    }
}
