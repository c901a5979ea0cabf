import ArgumentParser
import Encoder
import Foundation
import Training

/// A dataset split's encoder features from the feature cache, encoding (with a progress bar)
/// the images not cached yet: what training and evaluation read.
enum SplitFeatures {
    static func load(_ data: CaptionDataset, dataset: DatasetOptions, imageOptions: ImageOptions,
                     label: String, quiet: Bool) throws -> [EncoderFeatures] {
        let encoder = try EncoderLoader.load(imageOptions.weights)
        let cache: FeatureCache
        do {
            cache = try FeatureCache(url: URL(fileURLWithPath: dataset.cache))
        } catch {
            reportError(dataset.cache, "\(error)")
            throw ExitCode(1)
        }
        var extractor = FeatureExtractor(encoder: encoder, cache: cache)
        extractor.maxPixels = imageOptions.maxPixels
        let progress = ProgressBar(total: data.images.count, quiet: quiet)
        defer { progress.finish() }
        do {
            return try cache.features(for: data, extractor: extractor) { done, failed in
                progress.advance(by: done - progress.done, failed: failed - progress.failed, note: "encoding \(label) images")
            }
        } catch {
            progress.finish()
            reportError(dataset.data, "\(error)")
            throw ExitCode(1)
        }
    }
}
