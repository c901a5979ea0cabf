import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers only ever see the old file or the complete new one.
///
/// The bytes go to a temporary file in the destination's own directory (a rename is only atomic
/// within one file system), are flushed with `fsync`, and then `rename(2)` replaces the
/// destination. On any failure the temporary file is removed, so an interrupted import or a full
/// disk never leaves a half-written `vgg16.safetensors` that a later run would trust.
public final class AtomicFile {
    public let destination: URL
    private let temporaryPath: String
    private var descriptor: Int32

    /// Creates the temporary file; nothing is visible at `destination` yet.
    public init(destination: URL) throws {
        self.destination = destination
        let directory = destination.deletingLastPathComponent().path
        // Dot-prefixed and unique per process and call, so parallel writers do not collide.
        let unique = "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        temporaryPath = directory + "/." + destination.lastPathComponent + ".tmp-" + unique
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            throw FileError.unwritable(path: destination.path, Self.lastErrorMessage())
        }
    }

    deinit {
        // Reached without `commit()` only on a failure path: drop the partial file.
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// Appends bytes, retrying short writes (which POSIX allows, e.g. on signals).
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = write(descriptor, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError.unwritable(path: destination.path, Self.lastErrorMessage())
            }
            pointer += written
            remaining -= written
        }
    }

    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Flushes the data to disk and moves the file into place.
    public func commit() throws {
        // Close even when fsync fails, so the descriptor never leaks; report the first failure.
        var failure: String?
        if fsync(descriptor) != 0 { failure = Self.lastErrorMessage() }
        if close(descriptor) != 0, failure == nil { failure = Self.lastErrorMessage() }
        descriptor = -1
        if let failure {
            unlink(temporaryPath)
            throw FileError.unwritable(path: destination.path, failure)
        }
        if rename(temporaryPath, destination.path) != 0 {
            let message = Self.lastErrorMessage()
            unlink(temporaryPath)
            throw FileError.unwritable(path: destination.path, message)
        }
    }

    /// Writes `bytes` to `destination` atomically in one call.
    public static func save(_ bytes: [UInt8], to destination: URL) throws {
        let file = try AtomicFile(destination: destination)
        try file.append(bytes)
        try file.commit()
    }

    private static func lastErrorMessage() -> String {
        String(cString: strerror(errno))
    }
}
