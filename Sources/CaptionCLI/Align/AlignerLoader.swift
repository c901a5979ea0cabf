import Alignment
import ArgumentParser
import Foundation

/// Finds and loads a trained aligner: `--model FILE`, `--model DIR` (a training output folder,
/// its model.safetensors), or the shipped `weights/aligner.safetensors`.
enum AlignerLoader {
    static func load(_ path: String?) throws -> AlignmentModelFile {
        var url = path.map { URL(fileURLWithPath: $0) } ?? WeightsDirectory.locate("aligner.safetensors")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("model.safetensors")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            reportError(url.path, path == nil ? "the shipped aligner is missing (weights/aligner.safetensors is in git: is the checkout complete?)"
                                              : "no such aligner file")
            throw ExitCode(1)
        }
        do {
            return try AlignmentModelFile.read(contentsOf: url)
        } catch {
            reportError(url.path, "\(error)")
            throw ExitCode(1)
        }
    }
}
