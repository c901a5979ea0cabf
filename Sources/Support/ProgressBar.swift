import Foundation

/// A one-line progress bar on stderr: `[#####-----] 120/1000  5.1 img/s  ETA 2m52s`.
///
/// It draws only when stderr is a terminal and `--quiet` was not given, so logs and pipes stay
/// clean; results never go through it (they go to stdout).
public final class ProgressBar {
    private let total: Int
    private let unit: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    public private(set) var done = 0
    public private(set) var failed = 0
    /// Shown after the counts, e.g. the current loss.
    private var note = ""

    public init(total: Int, unit: String = "img", quiet: Bool = false) {
        self.total = total
        self.unit = unit
        self.enabled = !quiet && isatty(STDERR_FILENO) != 0 && total > 1
    }

    /// Counts `count` finished items (`failed` of them errors) and redraws at most 10 times a second.
    public func advance(by count: Int = 1, failed: Int = 0, note: String = "") {
        done += count
        self.failed += failed
        self.note = note
        guard enabled, done == total || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        FileHandle.standardError.write(Data(("\r" + line() + "\u{1B}[K").utf8))
    }

    /// Erases the bar so what follows starts on a clean line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    public func line(width: Int = 24) -> String {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let filled = total > 0 ? min(width, width * done / total) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let eta = rate > 0 ? Self.duration(Double(total - done) / rate) : "?"
        let errorText = failed > 0 ? "  \(failed) failed" : ""
        let noteText = note.isEmpty ? "" : "  \(note)"
        return "[\(bar)] \(done)/\(total)  \(String(format: "%.1f", rate)) \(unit)/s  ETA \(eta)\(errorText)\(noteText)"
    }

    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
