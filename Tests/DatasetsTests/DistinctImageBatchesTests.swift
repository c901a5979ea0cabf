import Testing
import Datasets

/// The ranking loss takes a batch's other pairs as negatives, so no batch may hold two
/// sentences of one image; every pair must still be used once an epoch, in a seeded order.
@Suite struct DistinctImageBatchesTests {
    /// 40 images with 5 sentences each, listed image by image as datasets list them.
    static let pairImages = (0..<200).map { $0 / 5 }

    @Test func everyPairOnceAndNoImageTwiceInABatch() {
        let batches = DistinctImageBatches.make(pairImages: Self.pairImages, batchSize: 16, seed: 7)
        #expect(batches.flatMap { $0 }.sorted() == Array(Self.pairImages.indices))
        for batch in batches {
            #expect(batch.count <= 16)
            #expect(Set(batch.map { Self.pairImages[$0] }).count == batch.count, "batch repeats an image: \(batch)")
        }
        // Deferral only reshuffles the tail: nearly every batch is full.
        #expect(batches.dropLast(3).allSatisfy { $0.count == 16 })
    }

    @Test func sameSeedSameBatchesOtherSeedOthers() {
        let a = DistinctImageBatches.make(pairImages: Self.pairImages, batchSize: 10, seed: 1)
        #expect(a == DistinctImageBatches.make(pairImages: Self.pairImages, batchSize: 10, seed: 1))
        #expect(a != DistinctImageBatches.make(pairImages: Self.pairImages, batchSize: 10, seed: 2))
    }

    @Test func oneImageWithManySentencesGivesSingletonBatches() {
        let batches = DistinctImageBatches.make(pairImages: [0, 0, 0, 1], batchSize: 4, seed: 3)
        #expect(batches.flatMap { $0 }.sorted() == [0, 1, 2, 3])
        #expect(batches.allSatisfy { Set($0.map { [0, 0, 0, 1][$0] }).count == $0.count })
        #expect(batches.count == 3)
    }
}
