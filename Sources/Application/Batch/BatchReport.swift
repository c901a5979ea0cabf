import Tensors
import ImageDecoding
import Foundation
import Support

/// The self-contained HTML page of a batch (`--html REPORT.html`): the failures first, then
/// every captioned image as a small embedded JPEG with its caption and score; clicking one shows
/// its n-best list. The page holds its data as one JSON block and draws 60 images a page, with
/// a filter box, so it opens at once even for tens of thousands of images.
public struct BatchReport {
    public var title: String
    /// Lines for the summary at the top, such as "60 images in 12.3 s".
    public var summary: [String]
    public var records: [BatchRecord]
    /// JPEG thumbnail bytes by image path; an image without one shows a placeholder.
    public var thumbnails: [String: [UInt8]]

    public init(title: String, summary: [String], records: [BatchRecord], thumbnails: [String: [UInt8]]) {
        self.title = title
        self.summary = summary
        self.records = records
        self.thumbnails = thumbnails
    }

    /// Images per page.
    public static let pageSize = 60

    public func html() throws(CaptionError) -> String {
        var items: [String] = []
        items.reserveCapacity(records.count)
        for record in records {
            var fields: [(String, JSON)] = [("i", .string(record.image))]
            if let error = record.error {
                fields.append(("e", .string(error)))
            } else {
                fields += [("c", .string(record.caption)), ("p", .number(record.candidates.first?.logprob ?? 0))]
                if let confidence = record.confidence { fields.append(("k", .number(confidence))) }
                fields.append(("b", .array(record.candidates.map { .array([.string($0.caption), .number($0.logprob)]) })))
                if let thumbnail = thumbnails[record.image] {
                    fields.append(("t", .string(Data(thumbnail).base64EncodedString())))
                }
            }
            items.append(JSON.object(fields).text)
        }
        let data = HTML.scriptJSON("[" + items.joined(separator: ",\n") + "]")
        let summaryHTML = summary.map { "<li>\(HTML.escape($0))</li>" }.joined()
        return try HTML.fill(PageTemplate.text("batch-report.html"), [
            "TITLE": HTML.escape(title), "SUMMARY": summaryHTML, "PAGE_SIZE": String(Self.pageSize), "DATA": data,
        ])
    }

    /// Thumbnails for every captioned record: those `made` while captioning, and the others
    /// (captioned by an earlier run) decoded again, one photo per core.
    public static func thumbnails(of records: [BatchRecord], made: [String: [UInt8]], maxPixels: Int) -> [String: [UInt8]] {
        var thumbnails = made
        let missing = records.filter { !$0.failed && thumbnails[$0.image] == nil }.map(\.image)
        var decoded = [[UInt8]?](repeating: nil, count: missing.count)
        decoded.withUnsafeMutableBufferPointer { buffer in
            let target = UncheckedSendable(buffer)
            Parallel.forEach(missing.count) { i in
                let image = try? ImageDecoder.decode(contentsOf: URL(fileURLWithPath: missing[i]), maxPixels: maxPixels)
                target.value[i] = image.flatMap { try? JPEGEncoder.thumbnail($0, side: 128) }
            }
        }
        for (image, thumbnail) in zip(missing, decoded) { thumbnails[image] = thumbnail }
        return thumbnails
    }
}
