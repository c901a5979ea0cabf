import Foundation
import Testing
import Datasets

/// Format detection, split files shared by all formats, and the errors any reader can hit.
@Suite struct DatasetLoaderTests {
    @Test func detectsEachFormatFromThePath() throws {
        #expect(try DatasetLoader.load(DatasetFixtures.flickr).images.count == 7)
        #expect(try DatasetLoader.load(DatasetFixtures.flickrTokens).images.count == 7)
        #expect(try DatasetLoader.load(DatasetFixtures.karpathy).images.count == 5)
        #expect(try DatasetLoader.load(DatasetFixtures.coco).images.count == 3)
    }

    @Test func missingPathIsAnError() {
        let path = DatasetFixtures.datasets.appendingPathComponent("no-such-dataset")
        let error = DatasetFixtures.loadError(path)
        #expect(error == .missingFile(path))
        #expect(error?.description == "\(path.path): no such file or directory")
    }

    @Test func missingSplitFileIsAnError() {
        let split = DatasetFixtures.datasets.appendingPathComponent("no-such-split.txt")
        #expect(DatasetFixtures.loadError(DatasetFixtures.flickr, split: .file(split)) == .missingFile(split))
    }

    @Test func badLineNamesFileLineAndContent() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("Flickr8k.token.txt", "a.jpg#0\tA cat.\n\na.jpg#1\tA cat on a mat.\nthis line has no tab\n")
        let error = DatasetFixtures.loadError(file)
        #expect(error == .malformedLine(file, line: 4, content: "this line has no tab", problem: "expected 'IMAGE#N<TAB>caption'"))
        #expect(error?.description == "\(file.path):4: expected 'IMAGE#N<TAB>caption': \"this line has no tab\"")
    }

    @Test func emptyCaptionIsAnError() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("Flickr8k.token.txt", "a.jpg#0\tA cat.\r\na.jpg#1\t   \r\n")
        #expect(DatasetFixtures.loadError(file) == .malformedLine(file, line: 2, content: "a.jpg#1", problem: "empty caption"))
    }

    @Test func missingImageNameIsAnError() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("Flickr8k.token.txt", "#0\tA cat.\n")
        #expect(DatasetFixtures.loadError(file) == .malformedLine(file, line: 1, content: "#0\tA cat.", problem: "missing image name"))
        #expect(DatasetFixtures.loadError(file)?.description.hasSuffix(##": missing image name: "#0\tA cat.""##) == true)
    }

    @Test func longBadLinesAreShortenedInTheMessage() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("Flickr8k.token.txt", String(repeating: "x", count: 5000) + "\n")
        let description = try #require(DatasetFixtures.loadError(file)).description
        #expect(description.count < 300)
        #expect(description.hasSuffix("…\""))
    }

    @Test func splitFilePassedAsTheDatasetGetsAHint() throws {
        let error = try #require(DatasetFixtures.loadError(DatasetFixtures.flickrTrain))
        #expect(error.description.contains(":1: expected 'IMAGE#N<TAB>caption' (this looks like a split file: pass it as the split)"))
    }

    @Test func tokenFilePassedAsTheSplitGetsAHint() throws {
        let error = try #require(DatasetFixtures.loadError(DatasetFixtures.flickr, split: .file(DatasetFixtures.flickrTokens)))
        guard case .malformedLine(let url, 1, _, let problem) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(url == DatasetFixtures.flickrTokens)
        #expect(problem.contains("this looks like a caption token file"))
    }

    @Test func invalidUTF8IsAnError() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("Flickr8k.token.txt", bytes: Array("a.jpg#0\tA caf".utf8) + [0xE9, 0x0A])
        #expect(DatasetFixtures.loadError(file) == .invalidUTF8(file))
    }

    @Test func emptyTokenFileIsAnError() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("Flickr8k.token.txt", "\r\n  \n")
        #expect(DatasetFixtures.loadError(file) == .noImages(file, reason: "the token file holds no captions"))
    }

    @Test func splitNamingUnknownImagesIsAnErrorWithCountAndExamples() throws {
        let scratch = try ScratchDirectory()
        let split = try scratch.write("split.txt", "1001_red_kite.jpg\nghost1.jpg\nghost2.jpg\nghost3.jpg\nghost4.jpg\n")
        let error = DatasetFixtures.loadError(DatasetFixtures.flickr, split: .file(split))
        #expect(error == .unknownImages(splitFile: split, dataset: DatasetFixtures.flickrTokens,
                                        count: 4, examples: ["ghost1.jpg", "ghost2.jpg", "ghost3.jpg"]))
        #expect(error?.description.hasPrefix("\(split.path): 4 images not in ") == true)
        #expect(error?.description.hasSuffix("Flickr8k.token.txt: ghost1.jpg, ghost2.jpg, ghost3.jpg, …") == true)
    }

    @Test func repeatedSplitEntriesAreUsedOnceWithAWarning() throws {
        let scratch = try ScratchDirectory()
        let split = try scratch.write("split.txt", "1002_harbor.jpg\nimages/1002_harbor.jpg\n1001_red_kite.jpg\n")
        let dataset = try DatasetLoader.load(DatasetFixtures.flickr, split: .file(split))
        #expect(dataset.images.map(\.path) == ["1002_harbor.jpg", "1001_red_kite.jpg"])
        #expect(dataset.warnings == ["\(split.path): 1 repeated image name ignored"])
    }

    @Test func emptySplitFileIsAnError() throws {
        let scratch = try ScratchDirectory()
        let split = try scratch.write("split.txt", "\n\n")
        #expect(DatasetFixtures.loadError(DatasetFixtures.karpathy, split: .file(split)) == .noImages(split, reason: "the split file lists no image names"))
    }

    @Test func namedSplitWithoutItsFileIsAnError() throws {
        let error = try #require(DatasetFixtures.loadError(DatasetFixtures.flickr, split: .named(["test"])))
        guard case .unsupportedSplit = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(error.description.contains("no split 'test': Flickr_8k.testImages.txt not found next to the token file"))
    }

    @Test func directoryWithoutATokenFileIsUnrecognized() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("notes.txt", "hello\n")
        #expect(DatasetFixtures.loadError(scratch.url)
            == .unrecognizedFormat(scratch.url, reason: "no Flickr8k.token.txt (or other *.token.txt caption file) in this directory"))
    }

    @Test func directoryWithSeveralTokenFilesAsksForOne() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("b.token.txt", "x.jpg#0\tA cat.\n")
        try scratch.write("a.token", "x.jpg#0\tA cat.\n")
        let error = try #require(DatasetFixtures.loadError(scratch.url))
        #expect(error.description.hasSuffix("several caption token files (a.token, b.token.txt): pass one of them"))
    }

    @Test func findsTheOnlyTokenFileInADirectory() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("results_20130124.token", "x.jpg#0\tA cat.\n")
        #expect(try DatasetLoader.load(scratch.url).captionCount == 1)
    }

    @Test func unrecognizedJSONIsAnError() throws {
        let scratch = try ScratchDirectory()
        let noImages = try scratch.write("other.json", #"{"foo": 1}"#)
        let noSentences = try scratch.write("instances.json", #"{"images": [{"id": 1, "file_name": "a.jpg"}]}"#)
        let array = try scratch.write("array.json", "[1, 2]")
        guard case .unrecognizedFormat(_, let reason) = DatasetFixtures.loadError(noImages) else {
            Issue.record("expected unrecognizedFormat")
            return
        }
        #expect(reason.hasSuffix("no \"images\" key"))
        #expect(DatasetFixtures.loadError(noSentences) == .unrecognizedFormat(
            noSentences, reason: "images[0] has no \"sentences\" (Karpathy format) and there are no \"annotations\" (COCO format)"))
        #expect(DatasetFixtures.loadError(array) == .malformedJSON(array, reason: "the top level is not an object"))
    }

    @Test func jsonWithAByteOrderMarkIsRead() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("dataset_bom.json", bytes: [0xEF, 0xBB, 0xBF] + Array(
            #"{"images": [{"filename": "a.jpg", "split": "train", "sentences": [{"raw": "Un café."}]}]}"#.utf8))
        #expect(try DatasetLoader.load(file).images == [CaptionedImage(path: "a.jpg", split: "train", captions: ["Un café."])])
    }

    @Test func splitArgumentParsing() {
        #expect(SplitSelection(argument: "train") == .named(["train"]))
        #expect(SplitSelection(argument: "train, restval") == .named(["train", "restval"]))
        #expect(SplitSelection(argument: "/data/Flickr_8k.devImages.txt") == .file(URL(fileURLWithPath: "/data/Flickr_8k.devImages.txt")))
        #expect(SplitSelection(argument: "splits/mine") == .file(URL(fileURLWithPath: "splits/mine")))
    }
}
