import Foundation

/// Reads a whole weight file as one `Data`, memory-mapped where the platform allows.
///
/// Mapping means a 60 MB model costs no copy and no allocation up front; parsers then check every
/// length against `count` before touching bytes, so a lying header cannot make us read past the end.
public enum MappedFile {
    public static func read(_ url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FileError.unreadable("no such file")
        }
        // Data(contentsOf:) on a directory gives a confusing Cocoa message; say it plainly.
        if isDirectory.boolValue { throw FileError.unreadable("is a directory") }
        do {
            return try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw FileError.unreadable(reason(for: error))
        }
    }

    /// The POSIX reason ("Permission denied") when Foundation wraps one, else its own text.
    public static func reason(for error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        if let posix = error as? POSIXError, let message = strerror(posix.code.rawValue) {
            return String(cString: message)
        }
        return nsError.localizedDescription
    }
}
