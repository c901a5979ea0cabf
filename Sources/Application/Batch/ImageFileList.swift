import Foundation
import ImageDecoding
#if canImport(Glibc)
import Glibc
#endif

/// The files a batch captions, in a stable order: a folder tree walked recursively, or a list.
///
/// A walk finds images by content, whatever the extension: the signature of a format we read, or
/// of another known image format (which then gets "unsupported image format"). A file with
/// an image extension is listed even when its content is not an image, so a damaged `photo.jpg`
/// is reported rather than silently passed over; any other file is skipped and counted. Symbolic
/// links are followed, but a directory is entered only once, so link loops end.
public struct ImageFileList: Sendable {
    /// One file to caption. `problem` is set when the walk already knows it cannot be read
    /// (for example a FIFO, which would block a reader forever).
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var problem: String?

        public init(path: String, problem: String? = nil) {
            self.path = path
            self.problem = problem
        }
    }

    public private(set) var entries: [Entry] = []
    /// Files seen but not listed, because they are not images (no signature, no image extension).
    public private(set) var skippedNotImages = 0
    /// Hidden files and folders passed over (names starting with "."), without `includeHidden`.
    public private(set) var skippedHidden = 0

    /// Extensions that mark a file as meant to be an image even when its bytes say otherwise.
    public static let imageExtensions: Set<String> = [
        "jpg", "jpeg", "jpe", "jfif", "png", "webp", "gif", "bmp", "dib", "tif", "tiff", "heic", "heif", "hif", "avif",
    ]

    /// Walks `root` recursively; entries are sorted by byte order of their names at every level,
    /// so the order is the same on every machine and in every locale.
    public static func walk(_ root: String, includeHidden: Bool = false) throws(BatchInputError) -> ImageFileList {
        // "photos/" and "photos" must list the same paths, or a rerun spelled differently would
        // not recognize its earlier results.
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        var info = stat()
        guard stat(root, &info) == 0 else { throw .unreadable(root, String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .notADirectory(root) }
        var list = ImageFileList()
        var visited = Set<FileIdentity>()
        list.visit(directory: root, includeHidden: includeHidden, visited: &visited)
        return list
    }

    /// Paths one a line, kept in the order given; blank lines and repeats are dropped.
    public static func read(listing text: String) -> ImageFileList {
        var list = ImageFileList()
        var seen = Set<String>()
        // Character-wise, "\r\n" is one newline, so Windows line ends split cleanly too.
        for line in text.split(whereSeparator: \.isNewline) {
            let path = String(line)
            guard seen.insert(path).inserted else { continue }
            var info = stat()
            let problem: String?
            if stat(path, &info) != 0 {
                problem = "cannot read file: \(String(cString: strerror(errno)))"
            } else if info.st_mode & S_IFMT == S_IFDIR {
                problem = "cannot read file: Is a directory"
            } else if info.st_mode & S_IFMT != S_IFREG {
                problem = "cannot read file: not a regular file"
            } else {
                problem = nil
            }
            list.entries.append(Entry(path: path, problem: problem))
        }
        return list
    }

    /// Keeps only the entries of one shard (see ``Shard``).
    public func sharded(_ shard: Shard) -> ImageFileList {
        var copy = self
        copy.entries = entries.filter { shard.contains($0.path) }
        return copy
    }

    private struct FileIdentity: Hashable {
        public let device: UInt64
        public let inode: UInt64
    }

    private mutating func visit(directory: String, includeHidden: Bool, visited: inout Set<FileIdentity>) {
        var info = stat()
        guard stat(directory, &info) == 0,
              visited.insert(FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))).inserted
        else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            // Ask the system why, for the message; Foundation's error text names no cause.
            var reason = "cannot list it"
            if let handle = opendir(directory) { closedir(handle) } else { reason = String(cString: strerror(errno)) }
            entries.append(Entry(path: directory, problem: "cannot read folder: \(reason)"))
            return
        }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        for name in names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            if name.hasPrefix(".") && !includeHidden {
                skippedHidden += 1
                continue
            }
            let path = prefix + name
            let hasImageExtension = Self.imageExtensions.contains((name as NSString).pathExtension.lowercased())
            guard stat(path, &info) == 0 else {
                // A dangling link or a file that vanished: report it only if it claims to be an image.
                if hasImageExtension {
                    entries.append(Entry(path: path, problem: "cannot read file: \(String(cString: strerror(errno)))"))
                } else {
                    skippedNotImages += 1
                }
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                visit(directory: path, includeHidden: includeHidden, visited: &visited)
            case S_IFREG:
                switch Self.signature(of: path) {
                case .image: entries.append(Entry(path: path))
                case .other where hasImageExtension: entries.append(Entry(path: path))
                case .other: skippedNotImages += 1
                // Unreadable: it may well be a photo, and the user should hear about it.
                case .unreadable(let reason): entries.append(Entry(path: path, problem: "cannot read file: \(reason)"))
                }
            default:
                if hasImageExtension {
                    entries.append(Entry(path: path, problem: "cannot read file: not a regular file"))
                } else {
                    skippedNotImages += 1
                }
            }
        }
    }

    private enum Signature {
        case image, other
        case unreadable(String)
    }

    private static func signature(of path: String) -> Signature {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .unreadable(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var prefix = [UInt8](repeating: 0, count: ImageDecoder.signatureLength)
        let count = prefix.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { return .unreadable(String(cString: strerror(errno))) }
        return ImageDecoder.recognizes(Array(prefix.prefix(count))) ? .image : .other
    }
}

/// Why a batch's input (the folder or the list) cannot be used at all.
public enum BatchInputError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, String)
    case notADirectory(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "\(path): \(reason)"
        case let .notADirectory(path): "\(path): not a folder (give a folder, or --list FILE)"
        }
    }
}

extension ImageFileList {
    /// What `caption batch` captions: the photos under `folder` or named in `list` (a file, or
    /// `-` for stdin), narrowed to `shard`. A folder or list that cannot be used is bad usage.
    public static func select(folder: String?, list: String?, includeHidden: Bool, shard: Shard?) throws(CaptionError)
        -> ImageFileList {
        var files: ImageFileList
        if let folder {
            do {
                files = try walk(folder, includeHidden: includeHidden)
            } catch {
                throw CaptionError(.usage, nil, error.description)
            }
        } else {
            let list = list ?? "-"
            let text: String
            if list == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else if let data = FileManager.default.contents(atPath: list) {
                text = String(decoding: data, as: UTF8.self)
            } else {
                throw .usage(list, "cannot read the list of files")
            }
            files = read(listing: text)
        }
        return shard.map { files.sharded($0) } ?? files
    }
}

extension ImageFileList {
    /// What `caption features` encodes: one folder walked or a --list read as ``select(folder:list:includeHidden:shard:)``
    /// does, or else the files as given, narrowed to `shard`. Entries with a `problem` (a FIFO, a
    /// folder that cannot be read) are to be reported, never opened.
    public static func select(arguments: [String], list: String?, includeHidden: Bool, shard: Shard?) throws(CaptionError)
        -> [Entry] {
        let folders = arguments.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        if list != nil || !folders.isEmpty {
            guard arguments.count <= 1 else {
                throw .usage(folders[0], "a folder must be the only argument; for several, list their photos with --list FILE")
            }
            return try select(folder: arguments.first, list: list, includeHidden: includeHidden, shard: shard).entries
        }
        return arguments.filter { shard?.contains($0) ?? true }.map { Entry(path: $0) }
    }
}
