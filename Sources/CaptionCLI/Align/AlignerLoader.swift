import Alignment
import ArgumentParser
import Foundation

/// Finds and loads a trained aligner: `--model FILE`, `--model DIR` (a training output folder,
/// its model.safetensors), or the shipped `weights/aligner.safetensors`.
enum AlignerLoader {
    static func load(_ path: String?) throws -> AlignmentModelFile {
        let url = try ModelPath.resolve(path, shipped: "aligner", kind: "aligner")
        do {
            return try AlignmentModelFile.read(contentsOf: url)
        } catch {
            reportError(url.path, "\(error)")
            throw ExitCode(1)
        }
    }
}
