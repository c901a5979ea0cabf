/// A word n-gram of order 1…4 over interned token ids, packed into two 64-bit words so that
/// it hashes as cheaply as an integer pair (an `[String]` key would hash every character).
///
/// Both BLEU and CIDEr-D use n = 1…4, as coco-caption does.
struct NGram: Hashable, Sendable {
    static let maxOrder = 4

    /// Ids of tokens 0 and 1 (high and low half).
    private let head: UInt64
    /// Ids of tokens 2 and 3; zero when unused, which is unambiguous because `order` is stored.
    private let tail: UInt64
    /// Number of tokens, 1…4.
    let order: Int

    init(_ tokens: ArraySlice<UInt32>) {
        precondition((1...NGram.maxOrder).contains(tokens.count), "n-gram order must be 1…\(NGram.maxOrder)")
        // Built in locals rather than a temporary array: this runs for every n-gram of every
        // caption, and an array would cost a heap allocation each time.
        var head: UInt64 = 0
        var tail: UInt64 = 0
        for (position, token) in tokens.enumerated() {
            let shifted = UInt64(token) << (position.isMultiple(of: 2) ? 32 : 0)
            if position < 2 { head |= shifted } else { tail |= shifted }
        }
        self.head = head
        self.tail = tail
        order = tokens.count
    }

    /// Counts of every n-gram of order 1…`maxOrder` in a caption (coco-caption's `precook`).
    static func counts(in tokens: [UInt32]) -> [NGram: Int] {
        var counts: [NGram: Int] = [:]
        counts.reserveCapacity(tokens.count * maxOrder)
        for order in 1...maxOrder where order <= tokens.count {
            for start in 0...(tokens.count - order) {
                counts[NGram(tokens[start..<(start + order)]), default: 0] += 1
            }
        }
        return counts
    }
}
