import Foundation
import Datasets

/// Where the dataset fixtures are, found relative to this source file so tests run from any
/// working directory.
enum DatasetFixtures {
    static let datasets = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/datasets")
    static let flickr = datasets.appendingPathComponent("flickr8k-mini")
    static let flickrTokens = flickr.appendingPathComponent("Flickr8k.token.txt")
    static let flickrTrain = flickr.appendingPathComponent("Flickr_8k.trainImages.txt")
    static let karpathy = datasets.appendingPathComponent("dataset_mini.json")
    static let coco = datasets.appendingPathComponent("captions_mini.json")
    static let cocoSplit = datasets.appendingPathComponent("coco-mini-split.txt")

    /// The error `DatasetLoader.load` throws, or nil when it succeeds.
    static func loadError(_ url: URL, split: SplitSelection? = nil, images: URL? = nil) -> DatasetError? {
        do {
            _ = try DatasetLoader.load(url, split: split, images: images)
            return nil
        } catch {
            return error
        }
    }
}

/// A temporary directory for inputs that must be byte-exact (CRLF, BOM, invalid UTF-8);
/// removed when the test releases it.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("caption-dataset-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }
}
