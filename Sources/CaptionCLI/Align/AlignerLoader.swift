import Alignment
import ArgumentParser
import Foundation

/// Finds and loads a trained aligner: `--model FILE`, `--model DIR` (a training output folder,
/// its model.safetensors), or the shipped `weights/aligner.safetensors`.
enum AlignerLoader {
    /// Whether `weights/aligner.safetensors` is there: captioning then re-ranks and reports a
    /// confidence by default.
    static var isShipped: Bool {
        FileManager.default.fileExists(atPath: WeightsDirectory.locate("aligner.safetensors").path)
    }

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
