import Alignment
import Datasets
import Encoder
import Foundation
import Support

/// Image search over a folder (`caption retrieve`): every photo under it is encoded into the
/// feature cache (only new or changed photos cost an encoding), then ranked by the aligner's
/// score S for the query (paper eq. 8; for one query S / words ranks the same).
public struct Retrieval {
    public let aligner: AlignmentModelFile
    public let features: CachedFeatures

    public init(aligner: AlignmentModelFile, features: CachedFeatures) {
        self.aligner = aligner
        self.features = features
    }

    /// One ranked photo.
    public struct Match: Sendable {
        public var path: String
        public var alignment: PairAlignment
        /// The query's match probability on this photo, and its unknown words.
        public var reading: MatchReading

        /// `path<TAB>score<TAB>normalized<TAB>match` (match empty when there is none).
        public var tsv: String {
            [path, PairResult.number(alignment.raw), PairResult.number(alignment.normalized), reading.matchText]
                .joined(separator: "\t")
        }

        /// `{"rank", "image", "score", "normalized", ["match", "unknown_words", "warning"]}`.
        public func json(rank: Int) -> String {
            JSON.object([("rank", .int(rank)), ("image", .string(path)), ("score", .number(alignment.raw)),
                         ("normalized", .number(alignment.normalized))] + reading.jsonFields).text
        }
    }

    /// The photos under `folder` (found by content, as `caption batch` finds them) best first;
    /// equal scores keep folder order, so the output is deterministic. Photos that could not
    /// be read come back as failures, each naming its file.
    public func rank(folder: String, query: SentenceInput, quiet: Bool) throws(CaptionError)
        -> (matches: [Match], failures: [CaptionError]) {
        let files: ImageFileList
        do {
            files = try ImageFileList.walk(folder)
        } catch {
            throw CaptionError(.usage, nil, error.description)
        }
        var failures = files.entries.compactMap { entry in entry.problem.map { CaptionError.input(entry.path, $0) } }
        let paths = files.entries.filter { $0.problem == nil }.map(\.path)
        guard !paths.isEmpty else { throw .input(folder, "no photos in the folder") }
        try features.checkRegions(for: aligner.model)
        let (keys, encodeFailures) = try features.encode(paths, quiet: quiet, note: "encoding photos")
        failures += encodeFailures
        let words = aligner.model.embedSentence(query.ids)
        var matches: [Match] = []
        for (path, key) in zip(paths, keys) {
            guard let key, let photo = try features.features(key), let regions = aligner.model.regions(of: photo) else { continue }
            let embedded = aligner.model.embedRegions(regions)
            let alignment = AlignmentModel.align(regionEmbeddings: embedded, sentenceEmbedding: words)
            matches.append(Match(path: path, alignment: alignment,
                                 reading: MatchReading(query, alignment: alignment, calibration: aligner.calibration)))
        }
        guard !matches.isEmpty else { throw .input(folder, "no photo could be read") }
        let order = matches.indices.sorted { a, b in
            matches[a].alignment.raw != matches[b].alignment.raw ? matches[a].alignment.raw > matches[b].alignment.raw : a < b
        }
        return (order.map { matches[$0] }, failures)
    }
}
