import Foundation
import Formats
import Support

/// How a batch writes its results. Every format is written one whole line per image, so a
/// reader never sees half a result and a rerun can tell which images are done.
///
/// - `jsonl`: one ``BatchRecord`` JSON object a line, failures included.
/// - `csv`: `image,caption,logprob,score,confidence,error` with a header row.
/// - `coco`: the COCO results array `[{"image_id", "caption", "image"}…]`, one element a line; it
///   is valid JSON once the batch finishes (the closing `]` is written last). Failed images are not
///   listed there (COCO results have no place for them), so a rerun tries them again.
public enum ResultFormat: String, CaseIterable, Sendable {
    case jsonl, csv, coco

    public static let csvHeader = ["image", "caption", "logprob", "score", "confidence", "error"]

    /// What starts an empty file.
    public var header: String {
        switch self {
        case .jsonl: ""
        case .csv: CSV.row(Self.csvHeader) + "\n"
        case .coco: "[\n"
        }
    }

    /// What ends a finished file; a rerun removes it before appending.
    public var footer: String { self == .coco ? "]\n" : "" }

    /// The line for one record (with its newline), or nil when the format does not list it.
    /// `first` tells a COCO element whether it needs a leading comma.
    public func line(_ record: BatchRecord, first: Bool) -> String? {
        switch self {
        case .jsonl:
            return record.jsonLine + "\n"
        case .csv:
            let best = record.candidates.first
            return CSV.row([record.image, record.caption, best.map { BatchRecord.number($0.logprob) } ?? "",
                            best.map { BatchRecord.number($0.score) } ?? "",
                            record.confidence.map(BatchRecord.number) ?? "", record.error ?? ""]) + "\n"
        case .coco:
            guard !record.failed else { return nil }
            let element = JSON.object([("image_id", Self.cocoImageID(record.image)), ("caption", .string(record.caption)),
                                       ("image", .string(record.image))])
            return (first ? "" : ",") + element.text + "\n"
        }
    }

    /// COCO ids are numbers: `COCO_val2014_000000391895.jpg` and `391895.jpg` give 391895. Any
    /// other name keeps its stem as a string id (`1000268201_693b08cb0e`).
    public static func cocoImageID(_ path: String) -> JSON {
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let digits = stem.split(separator: "_").last.map(String.init) ?? stem
        if !digits.isEmpty, digits.count <= 18, digits.allSatisfy(\.isASCII), let id = Int(digits) {
            return .int(id)
        }
        return .string(stem)
    }

    /// The records already in a file's bytes, and how many leading bytes to keep: a torn last
    /// line and COCO's closing bracket are cut so appending continues the file.
    public func parse(_ bytes: [UInt8], path: String) throws(ResultFileError) -> (records: [BatchRecord], keep: Int) {
        if bytes.isEmpty { return ([], 0) }
        switch self {
        case .csv:
            let (rows, complete) = CSV.records(bytes)
            guard let header = rows.first, header == Self.csvHeader else {
                if rows.isEmpty && complete == 0 { return ([], 0) }  // only a torn header
                throw .foreignContent(path, "its first line is not the CSV header \(CSV.row(Self.csvHeader))")
            }
            var records: [BatchRecord] = []
            for (number, row) in rows.enumerated().dropFirst() {
                guard row.count == Self.csvHeader.count else {
                    throw .foreignContent(path, "line \(number + 1) has \(row.count) fields, not \(Self.csvHeader.count)")
                }
                if !row[5].isEmpty {
                    records.append(BatchRecord(image: row[0], error: row[5]))
                } else {
                    records.append(BatchRecord(image: row[0], candidates: [.init(
                        caption: row[1], logprob: Float(row[2]) ?? 0, score: Float(row[3]) ?? 0, wordLogprobs: [])],
                        confidence: Float(row[4])))
                }
            }
            return (records, complete)
        case .jsonl, .coco:
            var records: [BatchRecord] = []
            var keep = 0
            var lineStart = 0
            var number = 0
            for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
                number += 1
                let line = String(decoding: bytes[lineStart..<i], as: UTF8.self)
                defer { lineStart = i + 1 }
                if self == .coco {
                    if number == 1 {
                        guard line == "[" else { throw .foreignContent(path, "it does not start with the COCO results' [") }
                        keep = i + 1
                        continue
                    }
                    if line == "]" { break }
                }
                let object = self == .coco && line.hasPrefix(",") ? line.dropFirst() : Substring(line)
                guard let record = self == .coco ? Self.cocoRecord(object) : BatchRecord(jsonLine: object) else {
                    throw .foreignContent(path, "line \(number) is not a \(rawValue) batch result")
                }
                records.append(record)
                keep = i + 1
            }
            return (records, keep)
        }
    }

    private static func cocoRecord(_ line: Substring) -> BatchRecord? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let image = object["image"] as? String, let caption = object["caption"] as? String
        else { return nil }
        return BatchRecord(image: image, candidates: [.init(caption: caption, logprob: 0, score: 0, wordLogprobs: [])])
    }
}
