import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only with `mmap`, unmapped when the object goes: what lets a
/// prepared kernel cache be used in place (`FloatStorage` views keep this object alive).
///
/// The mapping starts on a page boundary, so data at an offset aligned in the file is aligned
/// in memory. Pages come from the page cache on first touch and are shared between processes.
public final class FileMapping: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public let size: Int

    public init(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.unreadable(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileError.unreadable(String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw FileError.unreadable("not a regular file") }
        size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw FileError.unreadable(String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }
}
