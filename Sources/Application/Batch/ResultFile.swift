import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A batch's output file, opened for resuming: the results already there are read back, a torn
/// last line (from a crash or kill -9) is cut, and new results are appended one whole line per
/// `write(2)`, then flushed to disk with `fsync`. At any moment the file holds only whole lines,
/// and a rerun of the same command finishes it without repeating or losing a result.
///
/// An advisory lock keeps two batches from writing one file at once.
public final class ResultFile {
    public let path: String
    public let format: ResultFormat
    /// Results written by earlier runs, in file order.
    public let earlier: [BatchRecord]
    private var descriptor: Int32
    private var listed: Int

    /// Opens (or creates) `path`. With `force`, earlier results are discarded.
    public init(path: String, format: ResultFormat, force: Bool = false) throws(ResultFileError) {
        self.path = path
        self.format = format
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            throw .unwritable(path, "not a regular file")
        }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .unwritable(path, Self.systemError()) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .unwritable(path, "another caption batch is writing it")
        }
        do throws(ResultFileError) {
            var records: [BatchRecord] = []
            var keep = 0
            if !force {
                (records, keep) = try format.parse(try Self.readAll(descriptor, path: path), path: path)
            }
            guard ftruncate(descriptor, off_t(keep)) == 0, lseek(descriptor, 0, SEEK_END) >= 0 else {
                throw ResultFileError.unwritable(path, Self.systemError())
            }
            earlier = records
            listed = records.count
            if keep == 0 { try write(format.header) }
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Appends the records' lines, then flushes them to disk.
    public func append(_ records: [BatchRecord]) throws(ResultFileError) {
        for record in records {
            guard let line = format.line(record, first: listed == 0) else { continue }
            try write(line)
            listed += 1
        }
        guard fsync(descriptor) == 0 else { throw .unwritable(path, Self.systemError()) }
    }

    /// Writes the format's ending (COCO's `]`) and closes the file.
    public func finish() throws(ResultFileError) {
        try write(format.footer)
        guard fsync(descriptor) == 0 else { throw .unwritable(path, Self.systemError()) }
        close(descriptor)
        descriptor = -1
    }

    /// One `write(2)` for the whole line; a short write (only on a full disk) is retried, and a
    /// failure is reported after cutting the partial line so the file still ends cleanly.
    private func write(_ text: String) throws(ResultFileError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return }
        let start = lseek(descriptor, 0, SEEK_END)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = Self.systemError()
                if start >= 0 { _ = ftruncate(descriptor, start) }
                throw .unwritable(path, reason)
            }
            offset += written
        }
    }

    private static func readAll(_ descriptor: Int32, path: String) throws(ResultFileError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unwritable(path, systemError())
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}

/// Problems with a batch's output file.
public enum ResultFileError: Error, CustomStringConvertible, Equatable {
    /// It cannot be opened, locked or written (the system's reason).
    case unwritable(String, String)
    /// It holds something other than this format's batch results.
    case foreignContent(String, String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason): "\(path): cannot write: \(reason)"
        case let .foreignContent(path, reason):
            "\(path): not a batch result file in this format (\(reason)); choose another --out, or --force to replace it"
        }
    }
}
