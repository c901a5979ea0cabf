import Captioning
import Foundation
import Testing
import Datasets
import Support
import Text

@Suite struct KarpathyFormatTests {
    @Test func readsImagesPathsSplitsAndRawCaptions() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.karpathy)
        #expect(dataset.images.map(\.path) == [
            "val2014/COCO_val2014_000000000042.jpg", "train2014/COCO_train2014_000000000077.jpg",
            "val2014/COCO_val2014_000000000088.jpg", "val2014/COCO_val2014_000000000099.jpg",
            "train2014/COCO_train2014_000000000123.jpg",
        ])
        #expect(dataset.images.map(\.split) == ["val", "train", "restval", "test", "train"])
        #expect(dataset.splitNames == ["restval", "test", "train", "val"])
        #expect(dataset.captionCount == 10)
        #expect(dataset.images[0].captions == ["A giraffe standing next to a tall tree.", "A tall giraffe eats leaves from a tree."])
        #expect(dataset.images[0].fileName == "COCO_val2014_000000000042.jpg")
        #expect(dataset.imagesDirectory.standardizedFileURL == DatasetFixtures.datasets.appendingPathComponent("images").standardizedFileURL)
    }

    @Test func fallsBackToTokensWhenRawIsMissing() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.karpathy)
        #expect(dataset.images[3].captions == ["Une femme lit un livre sous un arbre.", "a woman reading under a tree"])
        #expect(Tokenizer().tokens(dataset.images[3].captions[0]) == ["une", "femme", "lit", "un", "livre", "sous", "un", "arbre"])
    }

    @Test func filtersBySplitName() throws {
        let train = try DatasetLoader.load(DatasetFixtures.karpathy, split: .named(["train"]))
        #expect(train.images.map(\.fileName) == ["COCO_train2014_000000000077.jpg", "COCO_train2014_000000000123.jpg"])
        let trainAndRestval = try DatasetLoader.load(DatasetFixtures.karpathy, split: .named(["train", "restval"]))
        #expect(trainAndRestval.images.map(\.split) == ["train", "restval", "train"])
        #expect(try DatasetLoader.load(DatasetFixtures.karpathy, split: .named(["val"])).images.count == 1)
        #expect(try DatasetLoader.load(DatasetFixtures.karpathy, split: .named(["test"])).captionCount == 2)
    }

    @Test func unknownSplitNameListsTheSplitsPresent() throws {
        let error = try #require(DatasetFixtures.loadError(DatasetFixtures.karpathy, split: .named(["holdout"])))
        guard case .noImages(let url, _) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(url == DatasetFixtures.karpathy)
        #expect(error.description.hasSuffix("no images: no image in split 'holdout' (splits present: restval, test, train, val)"))
    }

    @Test func splitFileMatchesByPathOrFileName() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.karpathy, split: .file(DatasetFixtures.cocoSplit))
        #expect(dataset.images.map(\.path) == ["val2014/COCO_val2014_000000000099.jpg", "val2014/COCO_val2014_000000000042.jpg"])
    }

    @Test func readerCanBeCalledDirectly() throws {
        let direct = try KarpathyFormat.read(jsonFile: DatasetFixtures.karpathy, split: .named(["val"]))
        #expect(direct == (try DatasetLoader.load(DatasetFixtures.karpathy, split: .named(["val"]))))
    }

    @Test func wrongFieldTypeNamesTheField() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("dataset_bad.json", #"""
            {"images": [{"filename": "a.jpg", "split": "train", "sentences": [{"raw": "A cat."}]},
                        {"filename": "b.jpg", "split": 3, "sentences": [{"raw": "A dog."}]}]}
            """#)
        let error = try #require(DatasetFixtures.loadError(file))
        #expect(error == .malformedJSON(file, reason: "images[1].split is not a string"))
        #expect(error.description == "\(file.path): malformed caption JSON: images[1].split is not a string")
    }

    @Test func missingFieldNamesTheField() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("dataset_bad.json", #"{"images": [{"split": "train", "sentences": [{"raw": "A cat."}]}]}"#)
        #expect(DatasetFixtures.loadError(file) == .malformedJSON(file, reason: "images[0].filename is missing"))
    }

    @Test func sentenceWithoutTextIsAnError() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("dataset_bad.json", #"{"images": [{"filename": "a.jpg", "sentences": [{"raw": "A cat."}, {"raw": "  "}]}]}"#)
        #expect(DatasetFixtures.loadError(file) == .malformedJSON(file, reason: "images[0].sentences[1] has neither raw text nor tokens"))
    }

    @Test func invalidJSONSaysSo() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("dataset_bad.json", #"{"images": [{"filename": "a.jpg",]}"#)
        let error = try #require(DatasetFixtures.loadError(file))
        guard case .malformedJSON(_, let reason) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        // JSONDecoder alone gives no position; the reader adds JSONSerialization's.
        #expect(reason.hasPrefix("not valid JSON ("))
        #expect(reason.contains("33"))
        #expect(!error.description.contains("\n"))
    }
}
