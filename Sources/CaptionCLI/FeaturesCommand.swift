import Application
import ArgumentParser
import Encoder
import Foundation
import ImageDecoding
import Tensors
import Datasets
import Formats
import Support

/// `caption features IMAGE…`: the encoder's outputs for each photo.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Print or save the VGG16 encoder's features for photos.",
        discussion: """
        Each photo is resized to 224 × 224 (no crop) and run through VGG16's 13 conv layers. \
        The image vector is the mean of pool5's 7 × 7 = 49 region vectors (512 values each).

        Output: one line per photo, in the order given. A summary by default; with --json one \
        JSON object per line {"image", "width", "height", "vector": [512 floats]}; with --out, a \
        safetensors file holding "<image>.vector" [512] and "<image>.pool5" [7, 7, 512] per photo; \
        with --cache, the features go into a feature cache (keyed by each file's SHA-256; photos \
        already there are skipped, so an interrupted run resumes) that training reads.
        A photo that cannot be read prints `caption: error: <file>: <reason>` on stderr; the \
        others are still processed, and the exit status is 1.

        Examples:
          caption features examples/chelsea.jpg
          caption features - < photo.jpg
          caption features photos/*.jpg --out features.safetensors
          caption features photos/*.jpg --cache .cache/photos.features
        """)

    @OptionGroup var photos: PhotoArguments
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Write the vectors and pool5 maps to this safetensors file.", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Add the features to this cache file instead of printing them.", valueName: "file"))
    var cache: String?

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        if [output.json, out != nil, cache != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--json, --out and --cache are alternatives: choose one")
        }
        if cache != nil && photos.images.contains("-") { throw ValidationError("--cache needs files, not - (stdin)") }
    }

    func run() throws {
        if let cache { return try fillCache(cache) }
        let encoder = try ModelFiles.encoder(imageOptions.weights)
        let progress = ProgressBar(total: photos.images.count, quiet: output.quiet)
        var saved: [String: Tensor] = [:]
        var failures = 0
        for path in photos.images {
            let image: Image
            do {
                image = try ImageSource.decode(path, maxPixels: imageOptions.maxPixels)
            } catch {
                report(error)
                failures += 1
                progress.advance(failed: 1)
                continue
            }
            let features = encoder.encode(image)
            if out != nil {
                saved["\(path).vector"] = features.imageVector
                saved["\(path).pool5"] = features.pool5
            } else {
                emit(output.json ? FeatureSummary.json(path, image, features) : FeatureSummary.text(path, image, features))
            }
            progress.advance()
        }
        progress.finish()
        if let out {
            do {
                try SafeTensorsFile.write(saved, metadata: ["producer": "caption \(CaptionCommand.version)",
                                                        "layout": "pool5 is [7, 7, 512] HWC; vector is the mean of pool5's cells"],
                                      to: URL(fileURLWithPath: out))
            } catch {
                throw CaptionError.input(out, "\(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// `--cache`: encode what is not cached yet, report failures per file, print one summary line.
    func fillCache(_ path: String) throws {
        let features = try imageOptions.cachedFeatures(path)
        let before = features.cache.count
        let (_, failures) = try features.encode(photos.images, quiet: output.quiet)
        failures.forEach(report)
        let added = features.cache.count - before
        emit("\(path): \(added) added, \(photos.images.count - added - failures.count) already cached, "
              + "\(failures.count) failed; \(features.cache.count) images in the cache")
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
