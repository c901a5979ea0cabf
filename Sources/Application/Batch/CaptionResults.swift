import Foundation

/// Captions written earlier, to be scored (`caption evaluate captions --results`): JSONL lines
/// as `caption --json` and `caption batch` write them (`BatchRecord`); only "image" and
/// "caption" are needed, and `{"image", "error"}` lines are skipped.
public enum CaptionResults {
    /// Caption by image path, and by file name too, so results written with another folder
    /// prefix still match the dataset's images.
    public static func read(_ path: String) throws(CaptionError) -> [String: String] {
        guard FileManager.default.fileExists(atPath: path) else { throw .usage(path, "no such results file") }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .input(path, "cannot read: \(error.localizedDescription)")
        }
        var captions: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let record = BatchRecord(jsonLine: line) else {
                throw .input("\(path):\(number + 1)", "not a JSON object with \"image\" and \"caption\" (or \"error\") fields")
            }
            guard !record.failed else { continue }
            captions[record.image] = record.caption
            captions[URL(fileURLWithPath: record.image).lastPathComponent] = record.caption
        }
        return captions
    }
}
