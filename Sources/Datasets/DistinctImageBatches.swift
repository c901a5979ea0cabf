import Tensors

/// An epoch's minibatches of (image, sentence) pairs in which no image appears twice.
///
/// The ranking loss treats every other pair of a batch as a negative: with two captions of one
/// image in a batch, the model would be pushed to rank a correct caption below the image's own
/// one, which is noise at best. Pairs are shuffled (Fisher–Yates, seeded), then dealt in order;
/// a pair whose image is already in the batch being filled waits for the next batch, keeping
/// its place ahead of later pairs. With 5 captions an image and thousands of images a batch
/// almost never defers anything, so batches stay as random as a plain shuffle; at the end of
/// an epoch a few short batches may remain.
public enum DistinctImageBatches {
    /// Pair indices, batch by batch; each batch has at most `batchSize` pairs, all of distinct
    /// images, and every pair appears exactly once over the epoch.
    /// - Parameter pairImages: the image of each pair.
    public static func make(pairImages: [Int], batchSize: Int, seed: UInt64) -> [[Int]] {
        precondition(batchSize >= 1, "batchSize must be positive")
        var rng = SplitMix64(seed: seed)
        var pending = Array(pairImages.indices)
        for i in stride(from: pending.count - 1, to: 0, by: -1) {
            pending.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        var batches: [[Int]] = []
        var start = 0
        while start < pending.count {
            var batch: [Int] = [], deferred: [Int] = [], seen = Set<Int>()
            var next = start
            while next < pending.count && batch.count < batchSize {
                let pair = pending[next]
                if seen.insert(pairImages[pair]).inserted { batch.append(pair) } else { deferred.append(pair) }
                next += 1
            }
            // The deferred pairs go back just before the pairs not yet looked at.
            let resume = next - deferred.count
            for (offset, pair) in deferred.enumerated() { pending[resume + offset] = pair }
            start = resume
            batches.append(batch)
        }
        return batches
    }
}
