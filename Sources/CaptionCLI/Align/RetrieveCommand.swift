import Alignment
import ArgumentParser
import Foundation
import Tensors
import Training
import Weights

/// `caption retrieve`: the photos of a folder that a sentence describes best.
struct RetrieveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieve",
        abstract: "Find the photos in a folder that best match a sentence (image search).",
        discussion: """
        Every JPEG and PNG under --images (recursively) is encoded into the feature cache, keyed \
        by the SHA-256 of its bytes, so only new or changed photos are encoded and a second query \
        on the same folder starts at once. Photos are ranked by the aligner's score S (paper \
        eq. 8; for one query, S / words ranks the same).

        Output: the top --top photos, best first, one line each: `path<TAB>score<TAB>normalized`; \
        with --json one object a line {"rank", "image", "score", "normalized"}. A photo that \
        cannot be read is reported on stderr and left out.

        Example:
          caption retrieve --images photos/ --query "a dog jumps over a fence" --top 5
        """)

    @Option(help: ArgumentHelp("Folder of photos to search (searched recursively).", valueName: "dir"))
    var images: String

    @Option(help: ArgumentHelp("The sentence to search for (at most 200 words).", valueName: "sentence"))
    var query: String

    @Option(help: ArgumentHelp("How many photos to print (count).", valueName: "n"))
    var top = 10

    @Flag(help: "One JSON object a line instead of TSV.")
    var json = false

    @Option(help: ArgumentHelp("The aligner: a .safetensors file or a training output folder (default: the shipped weights/aligner.safetensors).", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("Feature cache file (encoder outputs keyed by image SHA-256; shared with training).", valueName: "file"))
    var cache: String = ".cache/features.cache"

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1, got \(top)") }
        if let problem = SentenceInput.usageProblem(query) { throw ValidationError("--query: \(problem)") }
    }

    func run() throws {
        let file = try AlignerLoader.load(model)
        let sentence: SentenceInput
        switch SentenceInput.parse(query, with: file) {
        case .success(let input): sentence = input
        case .failure(let problem):
            reportError("--query", problem.description)
            throw ExitCode(1)
        }
        let paths = try photoPaths()
        let encoder = try EncoderLoader.load(imageOptions.weights)
        let featureCache: FeatureCache
        do {
            featureCache = try FeatureCache(url: URL(fileURLWithPath: cache))
        } catch {
            reportError(cache, "\(error)")
            throw ExitCode(1)
        }
        var extractor = FeatureExtractor(encoder: encoder, cache: featureCache)
        extractor.maxPixels = imageOptions.maxPixels
        let progress = ProgressBar(total: paths.count, quiet: quiet)
        let (keys, failures) = try extractor.extract(paths.map { URL(fileURLWithPath: $0) }) { done, failed in
            progress.advance(by: done - progress.done, failed: failed - progress.failed, note: "encoding photos")
        }
        progress.finish()
        for failure in failures { reportError(failure.url.path, failure.reason) }

        let words = file.model.embedSentence(sentence.ids)
        var ranked: [(path: String, alignment: PairAlignment)] = []
        for (path, key) in zip(paths, keys) {
            guard let key else { continue }
            let entry: FeatureCache.Entry?
            do {
                entry = try featureCache.entry(for: key)
            } catch {
                reportError(cache, "\(error)")
                throw ExitCode(1)
            }
            guard let entry else { continue }
            let regions = AlignmentRegions.from(pool5: entry.pool5, vector: entry.vector)
            ranked.append((path, AlignmentModel.align(regionEmbeddings: file.model.embedRegions(regions), sentenceEmbedding: words)))
        }
        guard !ranked.isEmpty else {
            reportError(images, "no photo could be read")
            throw ExitCode(1)
        }
        // Best first; equal scores keep folder order, so the output is deterministic.
        ranked = ranked.enumerated().sorted { a, b in
            a.element.alignment.raw != b.element.alignment.raw ? a.element.alignment.raw > b.element.alignment.raw : a.offset < b.offset
        }.map(\.element)
        for (rank, item) in ranked.prefix(top).enumerated() {
            let score = PairResult.number(item.alignment.raw), normalized = PairResult.number(item.alignment.normalized)
            emit(json ? "{\"rank\":\(rank + 1),\"image\":\(JSONText.quoted(item.path)),\"score\":\(score),\"normalized\":\(normalized)}"
                       : "\(item.path)\t\(score)\t\(normalized)")
        }
    }

    /// The JPEG and PNG files under `images`, by extension, sorted by path.
    private func photoPaths() throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images, isDirectory: &isDirectory), isDirectory.boolValue else {
            reportError(images, "no such folder")
            throw ExitCode(1)
        }
        let root = URL(fileURLWithPath: images)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            reportError(images, "cannot list the folder")
            throw ExitCode(1)
        }
        var paths: [String] = []
        for case let url as URL in walker where ["jpg", "jpeg", "png"].contains(url.pathExtension.lowercased()) {
            // Through symbolic links: a folder of links to photos kept elsewhere is common.
            if (try? url.resolvingSymlinksInPath().resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                paths.append(images.hasSuffix("/") ? images + relativePath(url, root) : images + "/" + relativePath(url, root))
            }
        }
        guard !paths.isEmpty else {
            reportError(images, "no JPEG or PNG files in the folder")
            throw ExitCode(1)
        }
        return paths.sorted()
    }

    /// `url`'s path below `root`, as the user will recognize it next to the folder they gave.
    private func relativePath(_ url: URL, _ root: URL) -> String {
        let base = root.standardizedFileURL.resolvingSymlinksInPath().path
        let full = url.standardizedFileURL.resolvingSymlinksInPath().path
        return full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : url.lastPathComponent
    }
}
