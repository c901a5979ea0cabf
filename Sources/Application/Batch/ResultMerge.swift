import Foundation

/// Joins the output files of a sharded batch (`caption batch merge`) after checking them: each
/// must be a whole batch result file of one format, no image may appear twice, and COCO files
/// must be finished. The merged records are sorted by image path.
public struct ResultMerge {
    public private(set) var records: [BatchRecord] = []
    public let format: ResultFormat
    /// Records per input file, in the order given.
    public private(set) var counts: [Int] = []

    public init(files: [String]) throws(ResultMergeError) {
        guard let first = files.first else { throw .problem("-", "no files to merge") }
        var format: ResultFormat?
        var seen: [String: String] = [:]
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .problem(path, "cannot read file: \(String(cString: strerror(errno)))")
            }
            let bytes = [UInt8](data)
            if bytes.isEmpty {  // a shard whose share of the files was empty
                counts.append(0)
                continue
            }
            guard let detected = Self.detect(bytes) else {
                throw .problem(path, "not a caption batch output (expected JSONL, CSV or COCO results)")
            }
            if let format, format != detected {
                throw .problem(path, "holds \(detected.rawValue) results but \(first) holds \(format.rawValue)")
            }
            format = detected
            let parsed: (records: [BatchRecord], keep: Int)
            do {
                parsed = try detected.parse(bytes, path: path)
            } catch {
                throw .problem(path, "\(error)")
            }
            let ending = detected == .coco ? bytes.count - detected.footer.utf8.count : bytes.count
            guard parsed.keep == ending, detected != .coco || bytes.suffix(2) == Array(detected.footer.utf8) else {
                throw .problem(path, "ends with an unfinished result: that shard's batch did not finish; rerun it")
            }
            for record in parsed.records {
                if let other = seen.updateValue(path, forKey: record.image) {
                    throw .problem(path, "\(record.image) is also in \(other): were two shards given the same K?")
                }
            }
            records += parsed.records
            counts.append(parsed.records.count)
        }
        self.format = format ?? .jsonl
        records.sort { $0.image.utf8.lexicographicallyPrecedes($1.image.utf8) }
    }

    /// The merged file's text, in the inputs' format.
    public var text: String {
        var text = format.header
        for (i, record) in records.enumerated() {
            text += format.line(record, first: i == 0) ?? ""
        }
        return text + format.footer
    }

    public static func detect(_ bytes: [UInt8]) -> ResultFormat? {
        switch bytes.first {
        case UInt8(ascii: "{"): .jsonl
        case UInt8(ascii: "["): .coco
        case _ where bytes.starts(with: Array(ResultFormat.csv.header.utf8)): .csv
        default: nil
        }
    }
}

public enum ResultMergeError: Error, CustomStringConvertible {
    case problem(String, String)
    public var description: String {
        switch self { case let .problem(path, message): "\(path): \(message)" }
    }
}
