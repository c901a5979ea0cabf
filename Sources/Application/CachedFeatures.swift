import Alignment
import Datasets
import Encoder
import Foundation
import Support

/// Encoder features through the feature cache: photos already in it are read back, the others
/// are encoded (with a progress bar) and added. What `caption features --cache`, `retrieve`,
/// `train` and `evaluate` share, so an interrupted run resumes and a second run starts at once.
public struct CachedFeatures {
    public let cache: FeatureCache
    public let extractor: FeatureExtractor
    /// The cache file, as named on the command line.
    public let cachePath: String

    /// Opens (or creates) the cache at `cachePath` and loads the encoder `weights` (nil: the
    /// shipped VGG16). A cache made with other weights is refused, naming both.
    public init(cachePath: String, weights: String?, maxPixels: Int) throws(CaptionError) {
        let weightsFile = try ModelFiles.encoderFile(weights)
        let encoder = try ModelFiles.encoder(weights)
        let digest: EncoderWeightsDigest
        do {
            digest = try EncoderWeightsDigest.ofFile(at: weightsFile)
        } catch {
            throw .input(weightsFile.path, "\(error)")
        }
        do {
            cache = try FeatureCache(url: URL(fileURLWithPath: cachePath), weights: digest)
        } catch let error as FeatureCacheWeightsMismatch {
            throw .input(cachePath, "made with other encoder weights (\(error.made)) than \(weightsFile.relativePath) "
                         + "(\(error.wanted)): give another --cache file for these weights, or --weights with the ones it was made with")
        } catch let error as FeatureCacheError {
            throw .input(cachePath, error.reason)
        } catch {
            throw .input(cachePath, "\(error)")
        }
        var extractor = FeatureExtractor(encoder: encoder, cache: cache)
        extractor.maxPixels = maxPixels
        self.extractor = extractor
        self.cachePath = cachePath
    }

    /// Encodes the photos at `paths` that the cache lacks. Returns each photo's cache key (nil
    /// for a photo that failed) and the failures, each a `CaptionError` naming its file.
    public func encode(_ paths: [String], quiet: Bool, note: String = "") throws(CaptionError)
        -> (keys: [Data?], failures: [CaptionError]) {
        let progress = ProgressBar(total: paths.count, quiet: quiet)
        defer { progress.finish() }
        do {
            let (keys, failures) = try extractor.extract(paths.map { URL(fileURLWithPath: $0) }) { done, failed in
                progress.advance(by: done - progress.done, failed: failed - progress.failed, note: note)
            }
            return (keys, failures.map { .input($0.url.path, $0.reason) })
        } catch {
            throw .input(cachePath, "\(error)")
        }
    }

    /// `caption features --cache`: adds the photos the cache lacks. Returns one summary line
    /// ("N added, M already cached, F failed; T images in the cache") and the failures, each
    /// naming its file; a photo whose `problem` the walk already knows is reported, not opened.
    public func add(_ photos: [ImageFileList.Entry], quiet: Bool) throws(CaptionError)
        -> (summary: String, failures: [CaptionError]) {
        let before = cache.count
        let readable = photos.filter { $0.problem == nil }.map(\.path)
        let unreadable = photos.compactMap { photo in photo.problem.map { CaptionError.input(photo.path, $0) } }
        let (_, failures) = try encode(readable, quiet: quiet)
        let added = cache.count - before
        let summary = "\(cachePath): \(added) added, \(readable.count - added - failures.count) already cached, "
            + "\(unreadable.count + failures.count) failed; \(cache.count) images in the cache"
        return (summary, unreadable + failures)
    }

    /// Refuses, before any work, a cache without the regions `pipeline`'s models read: one made
    /// before conv5_3 was kept (`CAPFEAT2`) has only pool5's 7 × 7 cells, and an aligner or an
    /// attention captioner on conv5_3's 14 × 14 needs the finer grid.
    public func checkRegions(for pipeline: CaptionPipeline) throws(CaptionError) {
        try checkRegions(grid: pipeline.regionGrid, reader: "the captioner or its aligner")
    }

    /// `checkRegions(for:)` for an aligner alone.
    public func checkRegions(for aligner: AlignmentModel) throws(CaptionError) {
        try checkRegions(grid: aligner.config.regionGrid, reader: "the aligner")
    }

    /// Refuses a cache without the `grid` × `grid` regions that `reader` (named in the error) reads.
    public func checkRegions(grid: Int, reader: String) throws(CaptionError) {
        guard grid > cache.layout.gridSize else { return }
        throw .input(cachePath, "keeps only pool5's 7 × 7 cells (a cache made before conv5_3 was kept), and \(reader) "
                     + "reads \(grid) × \(grid) regions: give a new --cache file, which the photos are then encoded into")
    }

    /// The cached features under `key`.
    public func features(_ key: Data) throws(CaptionError) -> EncoderFeatures? {
        do {
            return try cache.entry(for: key)
        } catch {
            throw .input(cachePath, "\(error)")
        }
    }

    /// Every image of a dataset split, in order; a photo that cannot be read stops the run, as
    /// training and evaluation need them all. `datasetName` names the dataset in errors; conv5_3
    /// is kept only for a `regionGrid` of 14.
    public func features(of data: CaptionDataset, datasetName: String, label: String, quiet: Bool,
                         regionGrid: Int = 7) throws(CaptionError) -> [EncoderFeatures] {
        let progress = ProgressBar(total: data.images.count, quiet: quiet)
        defer { progress.finish() }
        do {
            return try cache.features(for: data, extractor: extractor, regionGrid: regionGrid) { done, failed in
                progress.advance(by: done - progress.done, failed: failed - progress.failed, note: "encoding \(label) images")
            }
        } catch {
            throw .input(datasetName, "\(error)")
        }
    }
}
