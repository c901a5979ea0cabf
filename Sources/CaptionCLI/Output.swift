import Application
import Foundation
import Support

/// Writes one result line to stdout at once, as a single write: a log or a reading script sees
/// each line as soon as it is done, never half a line, and a crash loses nothing printed.
/// (Swift's `print` would buffer whole blocks when stdout is a file or a pipe.)
func emit(_ line: some CustomStringConvertible) {
    FileHandle.standardOutput.write(Data((line.description + "\n").utf8))
}

/// Prints `caption: error: <subject>: <reason>` on stderr, one line whatever the subject holds:
/// for the per-file errors of a command that goes on past them. Errors that end a command are
/// thrown as `CaptionError` and printed by `CaptionCommand.main`.
func report(_ error: CaptionError) {
    FileHandle.standardError.write(Data("caption: error: \(error.description)\n".utf8))
}

/// `caption: warning: <text>` on stderr.
func warn(_ text: String) {
    FileHandle.standardError.write(Data("caption: warning: \(OneLine.escaped(text))\n".utf8))
}
