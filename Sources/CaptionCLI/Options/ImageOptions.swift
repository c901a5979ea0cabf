import Application
import ArgumentParser
import ImageDecoding

/// Options shared by every command that reads photos.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Refuse images with more pixels than this, before decoding them.",
        valueName: "pixels"))
    var maxPixels: Int = ImageDecoder.defaultMaxPixels

    @Option(name: .long, help: ArgumentHelp(
        "VGG16 weights in safetensors format (default: weights/vgg16.safetensors, made by scripts/setup).",
        valueName: "file"))
    var weights: String?

    func validate() throws {
        guard maxPixels > 0 else { throw ValidationError("--max-pixels: must be positive, got \(maxPixels)") }
    }

    /// The feature cache at `path` with this encoder.
    func cachedFeatures(_ path: String) throws -> CachedFeatures {
        try CachedFeatures(cachePath: path, weights: weights, maxPixels: maxPixels)
    }
}
