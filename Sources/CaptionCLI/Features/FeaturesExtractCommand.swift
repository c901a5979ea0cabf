import Application
import ArgumentParser
import Foundation
import Encoder
import ImageDecoding
import Support

/// `caption features IMAGE…` (or a folder, or `--list`): the encoder's outputs for each photo,
/// printed, saved, or added to a feature cache, optionally for one shard of N.
struct FeaturesExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Print or save the VGG16 encoder's features for photos, a folder or a list.",
        discussion: """
        Each photo is resized to 224 × 224 (no crop) and run through VGG16's 13 conv layers. \
        The image vector is the mean of pool5's 7 × 7 = 49 region vectors (512 values each).

        Output: one line per photo, in the order given. A summary by default; with --json one \
        JSON object per line {"image", "width", "height", "vector": [512 floats]}; with --out, a \
        safetensors file holding "<image>.vector" [512] and "<image>.pool5" [7, 7, 512] per photo; \
        with --cache, the features go into a feature cache (keyed by each file's SHA-256; photos \
        already there are skipped, so an interrupted run resumes) that training reads. A cache \
        records which encoder weights made it and refuses features from other --weights.
        A photo that cannot be read prints `caption: error: <file>: <reason>` on stderr; the \
        others are still processed, and the exit status is 1.

        Instead of photo files, give one folder, walked as `caption batch` walks it (photos found \
        by content, in byte-sorted order, hidden files skipped unless --hidden), or --list FILE. \
        --shard K/N keeps the photos whose path hash is K − 1 modulo N, the same split as \
        `caption batch --shard`, so N machines each fill their own cache; \
        `caption features merge` then joins the caches into one.

        Examples:
          caption features examples/chelsea.jpg
          caption features - < photo.jpg
          caption features photos/*.jpg --out features.safetensors
          caption features photos/ --cache .cache/photos.features
          find /data -name '*.jpg' | caption features --list - --cache all.features
          caption features /data/photos --shard 2/16 --cache part-2.features
          caption features merge part-*.features --out all.features
        """)

    @Argument(help: ArgumentHelp("Photo files, or one folder to walk recursively; - reads one photo from stdin.", valueName: "image"))
    var images: [String] = []

    @Option(help: ArgumentHelp("A file listing the photos, one path a line (- for stdin), instead of arguments.", valueName: "file"))
    var list: String?

    @Flag(help: "In a folder, also take hidden files and folders (names starting with a dot).")
    var hidden = false

    @Option(help: ArgumentHelp("Only shard K of N (1 ≤ K ≤ N), e.g. 3/8, split by path as caption batch --shard splits.", valueName: "K/N"))
    var shard: String?

    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Write the vectors and pool5 maps to this safetensors file.", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Add the features to this cache file instead of printing them; rerunning resumes.", valueName: "file"))
    var cache: String?

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        guard images.isEmpty != (list == nil) else {
            throw ValidationError(images.isEmpty ? "give at least one image, a folder, or --list FILE (or - for stdin)"
                                                 : "give photos or a folder, or --list FILE, not both")
        }
        guard images.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("- (stdin) can be given only once") }
        if [output.json, out != nil, cache != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--json, --out and --cache are alternatives: choose one")
        }
        if cache != nil && images.contains("-") { throw ValidationError("--cache needs files, not - (stdin)") }
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
            if images.contains("-") { throw ValidationError("--shard splits files by path, so it cannot take - (stdin)") }
        }
    }

    func run() throws {
        let photos = try ImageFileList.select(arguments: images, list: list, includeHidden: hidden,
                                              shard: shard.map { try Shard(parsing: $0) })
        if let cache { return try fillCache(cache, photos) }
        let encoder = try ModelFiles.encoder(imageOptions.weights)
        let progress = ProgressBar(total: photos.count, quiet: output.quiet)
        var saved: [(path: String, output: EncoderOutput)] = []
        var failures = 0
        for photo in photos {
            let image: Image
            do throws(CaptionError) {
                if let problem = photo.problem { throw .input(photo.path, problem) }
                image = try ImageSource.decode(photo.path, maxPixels: imageOptions.maxPixels)
            } catch {
                report(error)
                failures += 1
                progress.advance(failed: 1)
                continue
            }
            let features = encoder.encode(image)
            if out != nil {
                saved.append((photo.path, features))
            } else {
                emit(output.json ? FeatureSummary.json(photo.path, image, features) : FeatureSummary.text(photo.path, image, features))
            }
            progress.advance()
        }
        progress.finish()
        if let out { try FeatureSummary.write(saved, producer: "caption \(CaptionCommand.version)", to: out) }
        if failures > 0 { throw ExitCode(1) }
    }

    /// `--cache`: encode what is not cached yet, report failures per file, print one summary line.
    private func fillCache(_ path: String, _ photos: [ImageFileList.Entry]) throws {
        let (summary, failures) = try imageOptions.cachedFeatures(path).add(photos, quiet: output.quiet)
        failures.forEach(report)
        emit(summary)
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
