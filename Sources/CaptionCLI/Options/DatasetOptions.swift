import Application
import ArgumentParser
import Foundation
import Datasets
import Support

/// Where a dataset is and which part of it to use, shared by train and evaluate.
struct DatasetOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A dataset: a Flickr8k-style folder (images/, Flickr8k.token.txt, split files), a Karpathy dataset_*.json, or a COCO captions JSON.",
        valueName: "path"))
    var data: String

    @Option(help: ArgumentHelp("Images folder, when not images/ beside the captions.", valueName: "dir"))
    var images: String?

    @Option(help: ArgumentHelp("Feature cache file (encoder outputs keyed by image SHA-256; shared by all datasets).", valueName: "file"))
    var cache: String = ".cache/features.cache"

    /// Loads `split` (a split file, or names such as train, dev) and prints the reader's warnings.
    /// A --data or --images that does not exist is bad usage (exit 2), as a missing folder is
    /// for every command.
    func load(split: String) throws -> CaptionDataset {
        for path in [data] + (images.map { [$0] } ?? []) where !FileManager.default.fileExists(atPath: path) {
            throw CaptionError.usage(path, "no such file or folder")
        }
        do {
            let dataset = try DatasetLoader.load(URL(fileURLWithPath: data), split: SplitSelection(argument: split),
                                                 images: images.map { URL(fileURLWithPath: $0) })
            dataset.warnings.forEach(warn)
            return dataset
        } catch {
            throw CaptionError(.input, nil, "\(error)")
        }
    }
}
