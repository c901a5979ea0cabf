import Captioning
import Foundation
import Testing
import Datasets
import Text

/// Checks against the real Flickr8k text files when they are on this machine (they can't be
/// in the repository). Set CAPTION_FLICKR8K to point elsewhere; skipped when absent.
@Suite struct RealFlickr8kTests {
    static let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["CAPTION_FLICKR8K"]
        ?? "/work/shared/datasets/flickr8k")
    static let available = FileManager.default.fileExists(
        atPath: directory.appendingPathComponent("Flickr8k.token.txt").path)

    @Test(.enabled(if: available)) func readsTheStandardSplits() throws {
        let clock = ContinuousClock()
        var dataset: CaptionDataset?
        let elapsed = try clock.measure { dataset = try DatasetLoader.load(Self.directory) }
        let all = try #require(dataset)
        #expect(all.images.count == 7000)
        #expect(all.captionCount == 35000)
        #expect(all.images.allSatisfy { $0.captions.count == 5 })
        #expect(all.warnings.isEmpty)

        let train = try DatasetLoader.load(Self.directory, split: .named(["train"]))
        let dev = try DatasetLoader.load(Self.directory, split: .named(["dev"]))
        #expect(train.images.count == 6000 && train.captionCount == 30000)
        #expect(dev.images.count == 1000 && dev.captionCount == 5000)
        #expect(Set(train.images.map(\.path)).isDisjoint(with: dev.images.map(\.path)))

        // Cross-checked with neuraltalk2's prepro tokenization in Python: 2,537 words seen at
        // least 5 times in the train captions, plus the 3 specials.
        let vocabulary = Vocabulary(counting: train.tokenizedCaptions(with: Tokenizer()))
        #expect(vocabulary.count == 2540)
        #expect(Array(vocabulary.words[3..<8]) == ["a", "in", "the", "on", "is"])

        let vocabularyTime = clock.measure {
            _ = Vocabulary(counting: train.tokenizedCaptions(with: Tokenizer()))
        }
        print("Flickr8k: \(all.images.count) images / \(all.captionCount) captions loaded in \(elapsed); "
            + "train \(train.images.count) / \(train.captionCount), dev \(dev.images.count) / \(dev.captionCount); "
            + "vocabulary \(vocabulary.count) (threshold 5) built in \(vocabularyTime)")
    }

    @Test(.enabled(if: available)) func everyImageFileIsPresent() throws {
        #expect(try DatasetLoader.load(Self.directory).missingImageFiles().isEmpty)
    }
}
