import ArgumentParser
import Foundation

/// Options shared by every command that reads photos.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Refuse images with more pixels than this, before decoding them.",
        valueName: "pixels"))
    var maxPixels: Int = 100_000_000

    @Option(name: .long, help: ArgumentHelp(
        "VGG16 weights in safetensors format (default: weights/vgg16.safetensors, made by scripts/setup).",
        valueName: "file"))
    var weights: String?

    func validate() throws {
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive, got \(maxPixels)") }
    }
}

/// Where the project's weight files live: `$CAPTION_WEIGHTS_DIR` if set, else the `weights/`
/// folder of the checkout the running binary was built in, else `./weights`.
enum WeightsDirectory {
    static func locate(_ fileName: String) -> URL {
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
}

/// Writes one result line to stdout at once, as a single write: a log or a reading script sees
/// each line as soon as it is done, never half a line, and a crash loses nothing printed.
/// (Swift's `print` would buffer whole blocks when stdout is a file or a pipe.)
func emit(_ line: some CustomStringConvertible) {
    FileHandle.standardOutput.write(Data((line.description + "\n").utf8))
}

/// Prints `caption: error: <subject>: <message>` on stderr: one line, for people and parsers.
func reportError(_ subject: String, _ message: String) {
    FileHandle.standardError.write(Data("caption: error: \(subject): \(message)\n".utf8))
}

/// Writes a whole output file (a report, a merged result) atomically: a temporary file beside it
/// is renamed into place, so a reader never sees half a file. A failure is reported as
/// `caption: error: <path>: cannot write: <reason>` and exits 1.
func writeOutputFile(_ path: String, _ text: String) throws {
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        reportError(path, "cannot write: \((error as? CocoaError)?.underlying?.localizedDescription ?? error.localizedDescription)")
        throw ExitCode(1)
    }
}
