/// A file that could not be read or written, with the system's reason.
///
/// `description` names the problem but not the file: the CLI prints
/// `caption: error: <file>: <description>`, so the file name would otherwise appear twice.
public enum FileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be opened or read at all.
    case unreadable(String)
    /// Writing failed; nothing half-written is left behind.
    case unwritable(path: String, String)

    public var description: String {
        switch self {
        case .unreadable(let reason): return OneLine.escaped("cannot read file: \(reason)")
        case .unwritable(let path, let reason): return OneLine.escaped("cannot write \(path): \(reason)")
        }
    }
}
