import Captioning
import Foundation
import Testing
import Datasets
import Text

@Suite struct Flickr8kFormatTests {
    let tokenizer = Tokenizer()

    @Test func readsTheDirectoryLayout() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.flickr)
        #expect(dataset.images.map(\.path) == [
            "1001_red_kite.jpg", "1002_harbor.jpg", "1003_market.jpg", "1004_chien_plage.jpg",
            "1005_cyclist.jpg", "1006_kodomo.jpg", "1007_snow_dog.jpg",
        ])
        #expect(dataset.captionCount == 22)
        #expect(dataset.images.map(\.captions.count) == [5, 3, 3, 3, 3, 2, 3])
        #expect(dataset.source.standardizedFileURL == DatasetFixtures.flickrTokens.standardizedFileURL)
        #expect(dataset.imagesDirectory.standardizedFileURL == DatasetFixtures.flickr.appendingPathComponent("images").standardizedFileURL)
        #expect(dataset.warnings.isEmpty)
    }

    @Test func tagsImagesWithTheStandardSplits() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.flickr)
        #expect(dataset.splitNames == ["dev", "train"])
        #expect(dataset.images.map(\.split) == ["train", "dev", "train", "train", "train", "train", "dev"])
    }

    @Test func keepsRawCaptionsAndTokenizesThemLikeNeuralTalk() throws {
        let kite = try #require(try DatasetLoader.load(DatasetFixtures.flickr).images.first)
        #expect(kite.captions[3] == "Someone's red kite is caught in the wind!")
        #expect(tokenizer.tokens(kite.captions[3]) == ["someones", "red", "kite", "is", "caught", "in", "the", "wind"])
        #expect(tokenizer.tokens(kite.captions[4]) == ["look", "at", "the", "kite", "says", "the", "boy"])
        #expect(tokenizer.tokens(kite.captions[0]) == ["a", "red", "kite", "flies", "high", "above", "a", "grassy", "hill"])
    }

    @Test func readsFrenchAndJapaneseCaptions() throws {
        let images = try DatasetLoader.load(DatasetFixtures.flickr).images
        let french = try #require(images.first { $0.path == "1004_chien_plage.jpg" })
        #expect(tokenizer.tokens(french.captions[1]) == ["le", "chien", "joue", "avec", "une", "balle", "près", "de", "leau"])
        #expect(tokenizer.tokens(french.captions[2]) == ["un", "chien", "heureux", "saute", "dans", "les", "vagues"])
        let japanese = try #require(images.first { $0.path == "1006_kodomo.jpg" })
        #expect(tokenizer.tokens(japanese.captions[0]) == ["赤い帽子をかぶった子供が公園で笑っている"])
        #expect(tokenizer.tokens(japanese.captions[1]) == ["子供", "が", "滑り台", "で", "遊んで", "いる"])
    }

    @Test func splitFileSelectsAndOrdersImages() throws {
        let train = try DatasetLoader.load(DatasetFixtures.flickr, split: .file(DatasetFixtures.flickrTrain))
        #expect(train.images.map(\.path) == [
            "1003_market.jpg", "1001_red_kite.jpg", "1006_kodomo.jpg", "1004_chien_plage.jpg", "1005_cyclist.jpg",
        ])
        #expect(train.captionCount == 16)
    }

    @Test func namedSplitsPickTheStandardFiles() throws {
        let dev = try DatasetLoader.load(DatasetFixtures.flickr, split: .named(["dev"]))
        #expect(dev.images.map(\.path) == ["1007_snow_dog.jpg", "1002_harbor.jpg"])
        #expect(dev.captionCount == 6)
        #expect(try DatasetLoader.load(DatasetFixtures.flickr, split: .named(["val"])) == dev)
        let both = try DatasetLoader.load(DatasetFixtures.flickr, split: .named(["train", "dev"]))
        #expect(both.images.count == 7)
        #expect(both.captionCount == 22)
    }

    @Test func readsATokenFileDirectly() throws {
        let fromFile = try DatasetLoader.load(DatasetFixtures.flickrTokens)
        let fromDirectory = try DatasetLoader.load(DatasetFixtures.flickr)
        #expect(fromFile.images == fromDirectory.images)
        #expect(fromFile.imagesDirectory.standardizedFileURL == fromDirectory.imagesDirectory.standardizedFileURL)
        let train = try DatasetLoader.load(DatasetFixtures.flickrTokens, split: .named(["train"]))
        #expect(train.images.count == 5)
    }

    @Test func imagesDirectoryCanBeGiven() throws {
        let elsewhere = URL(fileURLWithPath: "/data/flickr/jpegs")
        let dataset = try DatasetLoader.load(DatasetFixtures.flickr, images: elsewhere)
        #expect(dataset.imagesDirectory == elsewhere)
        #expect(dataset.imageURL(for: dataset.images[0]).path == "/data/flickr/jpegs/1001_red_kite.jpg")
    }

    @Test func reportsImagesMissingOnDisk() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.flickr)
        #expect(dataset.missingImageFiles().map(\.path) == ["1006_kodomo.jpg"])
    }

    @Test func buildsAVocabularyFromTheTrainSplit() throws {
        let train = try DatasetLoader.load(DatasetFixtures.flickr, split: .named(["train"]))
        let vocabulary = Vocabulary(counting: train.tokenizedCaptions(with: tokenizer), minimumCount: 2)
        // "a" is the most frequent training word, so it takes the first real id.
        #expect(vocabulary.id(for: "a") == 3)
        #expect(vocabulary.id(for: "chien") != nil)
        #expect(vocabulary.id(for: "snow") == nil, "snow only appears in the dev split")
    }

    @Test func toleratesBOMCRLFBlankLinesAndTrailingWhitespace() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("Flickr8k.token.txt", bytes: [0xEF, 0xBB, 0xBF] + Array((
            "b.jpg#0\tA boat on a lake .  \r\n" +
            "\r\n" +
            "   \r\n" +
            "a.jpg#0\tUn été à la mer\t\r\n" +
            "b.jpg#1    Tabs turned into spaces by an editor\r\n" +
            "a.jpg#1\tA beach\r\n").utf8))
        try scratch.write("Flickr_8k.trainImages.txt", bytes: [0xEF, 0xBB, 0xBF] + Array("a.jpg \r\n\r\nb.jpg\r\n".utf8))
        let dataset = try DatasetLoader.load(scratch.url)
        #expect(dataset.images == [
            CaptionedImage(path: "b.jpg", split: "train", captions: ["A boat on a lake .", "Tabs turned into spaces by an editor"]),
            CaptionedImage(path: "a.jpg", split: "train", captions: ["Un été à la mer", "A beach"]),
        ])
        let train = try DatasetLoader.load(scratch.url, split: .named(["train"]))
        #expect(train.images.map(\.path) == ["a.jpg", "b.jpg"])
    }

    @Test func acceptsKeysWithoutCaptionNumbers() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("mine.token.txt", "x.jpg\tfirst caption\nx.jpg\tsecond caption\nshot#2.jpg#0\tthird\n")
        let dataset = try DatasetLoader.load(file)
        #expect(dataset.images.map(\.path) == ["x.jpg", "shot#2.jpg"])
        #expect(dataset.images[0].captions == ["first caption", "second caption"])
    }
}
