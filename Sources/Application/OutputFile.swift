import Foundation
import Support

/// A whole output file a command writes (a page, a merged result).
public enum OutputFile {
    /// Writes `text` to `path` atomically: readers see the old file or the complete new one,
    /// never half of it.
    public static func write(_ path: String, _ text: String) throws(CaptionError) {
        do {
            try AtomicFile.save(Array(text.utf8), to: URL(fileURLWithPath: path))
        } catch {
            if case .unwritable(_, let reason)? = error as? FileError { throw .input(path, "cannot write: \(reason)") }
            throw .input(path, "cannot write: \(error)")
        }
    }
}
