import ArgumentParser
import Encoder
import Foundation
import ImageDecoding
import Tensors
import Training
import Weights

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

    @Argument(help: ArgumentHelp("JPEG or PNG files; - reads one image from stdin.", valueName: "image"))
    var images: [String]

    @Flag(help: "Print one JSON object per photo instead of a summary.")
    var json = false

    @Option(help: ArgumentHelp("Write the vectors and pool5 maps to this safetensors file.", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Add the features to this cache file instead of printing them.", valueName: "file"))
    var cache: String?

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    @OptionGroup var imageOptions: ImageOptions

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image (or - for stdin)") }
        guard images.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("- (stdin) can be given only once") }
        if [json, out != nil, cache != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--json, --out and --cache are alternatives: choose one")
        }
        if cache != nil && images.contains("-") { throw ValidationError("--cache needs files, not - (stdin)") }
    }

    func run() throws {
        let encoder = try EncoderLoader.load(imageOptions.weights)
        if let cache { return try fillCache(cache, encoder: encoder) }
        let progress = ProgressBar(total: images.count, quiet: quiet)
        var saved: [String: Tensor] = [:]
        var failures = 0
        for path in images {
            let image: Image
            do {
                image = try ImageSource.decode(path, maxPixels: imageOptions.maxPixels)
            } catch {
                reportError(path == "-" ? "<stdin>" : path, "\(error)")
                failures += 1
                progress.advance(failed: 1)
                continue
            }
            let features = encoder.encode(image)
            if out != nil {
                saved["\(path).vector"] = features.imageVector
                saved["\(path).pool5"] = features.pool5
            } else {
                emit(json ? FeatureSummary.json(path, image, features) : FeatureSummary.text(path, image, features))
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
                reportError(out, "\(error)")
                throw ExitCode(1)
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

extension FeaturesCommand {
    /// `--cache`: encode what is not cached yet, report failures per file, print one summary line.
    func fillCache(_ path: String, encoder: VGGEncoder) throws {
        let featureCache: FeatureCache
        do {
            featureCache = try FeatureCache(url: URL(fileURLWithPath: path))
        } catch {
            reportError(path, "\(error)")
            throw ExitCode(1)
        }
        let before = featureCache.count
        var extractor = FeatureExtractor(encoder: encoder, cache: featureCache)
        extractor.maxPixels = imageOptions.maxPixels
        let progress = ProgressBar(total: images.count, quiet: quiet)
        let result = try extractor.extract(images.map { URL(fileURLWithPath: $0) }) { done, failed in
            progress.advance(by: done - progress.done, failed: failed - progress.failed)
        }
        progress.finish()
        for failure in result.failures { reportError(failure.url.path, failure.reason) }
        let added = featureCache.count - before
        emit("\(path): \(added) added, \(images.count - added - result.failures.count) already cached, "
              + "\(result.failures.count) failed; \(featureCache.count) images in the cache")
        if !result.failures.isEmpty { throw ExitCode(1) }
    }
}

/// How a photo's features are shown.
enum FeatureSummary {
    /// `chelsea.jpg  451×300  vector[512] mean 1.234 max 12.345 active 401/512  top 123:12.3 45:11.0 300:9.8`
    static func text(_ path: String, _ image: Image, _ features: EncoderOutput) -> String {
        let v = features.imageVector.data
        let mean = v.reduce(0, +) / Float(v.count)
        let active = v.filter { $0 > 0 }.count
        let top = v.indices.sorted { v[$0] > v[$1] }.prefix(5)
            .map { "\($0):" + String(format: "%.1f", v[$0]) }.joined(separator: " ")
        return "\(path)  \(image.width)×\(image.height)  vector[\(v.count)] mean \(String(format: "%.3f", mean)) "
            + "max \(String(format: "%.3f", v.max() ?? 0)) active \(active)/\(v.count)  top channels \(top)"
    }

    static func json(_ path: String, _ image: Image, _ features: EncoderOutput) -> String {
        let vector = features.imageVector.data.map { String(format: "%.6g", $0) }.joined(separator: ",")
        return "{\"image\":\(JSONText.quoted(path)),\"width\":\(image.width),\"height\":\(image.height),\"vector\":[\(vector)]}"
    }
}
