import Captioning
import Foundation
import Testing
import Datasets
import Support
import Text

@Suite struct COCOCaptionsFormatTests {
    @Test func groupsAnnotationsByImage() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.coco)
        #expect(dataset.images.map(\.path) == [
            "COCO_val2014_000000000042.jpg", "COCO_val2014_000000000007.jpg", "COCO_val2014_000000000099.jpg",
        ])
        #expect(dataset.images[0].captions == ["A giraffe standing next to a tall tree.", "Giraffe eating from a tree"])
        #expect(dataset.images[1].captions == ["A red double decker bus on a city street", "A bus parked by the curb."])
        #expect(dataset.captionCount == 5)
        #expect(dataset.splitNames.isEmpty)
    }

    @Test func skipsImagesWithoutCaptionsWithAWarning() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.coco)
        #expect(!dataset.images.contains { $0.path == "COCO_val2014_000000000013.jpg" })
        #expect(dataset.warnings == ["\(DatasetFixtures.coco.path): 1 image without captions skipped"])
    }

    @Test func readsJapaneseCaptions() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.coco)
        #expect(dataset.images[2].captions == ["猫がソファの上で寝ている。"])
        #expect(Tokenizer().tokens(dataset.images[2].captions[0]) == ["猫がソファの上で寝ている"])
        #expect(Tokenizer(mode: .characters).tokens(dataset.images[2].captions[0]).count == 12)
    }

    @Test func usesTheGivenImagesDirectory() throws {
        let images = URL(fileURLWithPath: "/data/coco/val2014")
        let dataset = try DatasetLoader.load(DatasetFixtures.coco, images: images)
        #expect(dataset.imageURL(for: dataset.images[0]).path == "/data/coco/val2014/COCO_val2014_000000000042.jpg")
    }

    @Test func splitFileSelectsImages() throws {
        let dataset = try DatasetLoader.load(DatasetFixtures.coco, split: .file(DatasetFixtures.cocoSplit))
        #expect(dataset.images.map(\.path) == ["COCO_val2014_000000000099.jpg", "COCO_val2014_000000000042.jpg"])
        #expect(try COCOCaptionsFormat.read(jsonFile: DatasetFixtures.coco, split: .file(DatasetFixtures.cocoSplit)) == dataset)
    }

    @Test func namedSplitIsUnsupported() throws {
        let error = try #require(DatasetFixtures.loadError(DatasetFixtures.coco, split: .named(["train"])))
        guard case .unsupportedSplit = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(error.description.contains("COCO captions JSON has no split tags"))
    }

    @Test func annotationForAnUnknownImageIsAnError() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("captions_bad.json", #"""
            {"images": [{"id": 1, "file_name": "a.jpg"}],
             "annotations": [{"image_id": 1, "caption": "A cat."}, {"image_id": 5, "caption": "A dog."}]}
            """#)
        #expect(DatasetFixtures.loadError(file) == .malformedJSON(file, reason: "annotations[1]: image_id 5 is not among the images"))
    }

    @Test func duplicateImageIDIsAnError() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("captions_bad.json", #"""
            {"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "b.jpg"}],
             "annotations": [{"image_id": 1, "caption": "A cat."}]}
            """#)
        #expect(DatasetFixtures.loadError(file) == .malformedJSON(file, reason: "images[1]: id 1 is used twice"))
    }

    @Test func nonIntegerImageIDNamesTheField() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("captions_bad.json", #"""
            {"images": [{"id": "one", "file_name": "a.jpg"}], "annotations": []}
            """#)
        #expect(DatasetFixtures.loadError(file) == .malformedJSON(file, reason: "images[0].id is not an integer"))
    }
}
