/// A batch of sentences laid out for the BRNN: one row per word, time-major, with the sentences
/// ordered by decreasing length (a "packed sequence").
///
/// Rows `timeOffsets[t] ..< timeOffsets[t] + activeCounts[t]` hold word t of every sentence
/// that has one, in `order`. Because longer sentences come first, the sentences still running at
/// time t + 1 are a prefix of those at time t, so each recurrence step is one matrix product over
/// a contiguous block of rows, for the whole batch at once:
///
///     lengths 3, 1, 2  →  order [0, 2, 1]
///     row 0..2: t = 0 of sentences 0, 2, 1
///     row 3..4: t = 1 of sentences 0, 2
///     row 5:    t = 2 of sentence 0
struct PackedSentences {
    /// Word ids, one per row.
    let tokens: [Int]
    /// Batch index of the sentence each row belongs to.
    let sentenceOfRow: [Int]
    /// Batch indices sorted by decreasing length (stable, so equal lengths keep batch order).
    let order: [Int]
    /// Words per sentence, by batch index.
    let lengths: [Int]
    /// First row of each time step; `timeOffsets[maxLength] == rowCount`.
    let timeOffsets: [Int]
    /// Number of sentences with a word at each time step (non-increasing).
    let activeCounts: [Int]

    var rowCount: Int { tokens.count }
    var maxLength: Int { activeCounts.count }
    var sentenceCount: Int { lengths.count }

    init(_ sentences: [[Int]]) {
        let lengths = sentences.map(\.count)
        let order = sentences.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        let maxLength = lengths.max() ?? 0
        var activeCounts = [Int](repeating: 0, count: maxLength)
        for length in lengths {
            for t in 0..<length { activeCounts[t] += 1 }
        }
        var timeOffsets = [0]
        for count in activeCounts { timeOffsets.append(timeOffsets.last! + count) }
        var tokens = [Int]()
        var sentenceOfRow = [Int]()
        tokens.reserveCapacity(timeOffsets.last!)
        sentenceOfRow.reserveCapacity(timeOffsets.last!)
        for t in 0..<maxLength {
            for sentence in order.prefix(activeCounts[t]) {
                tokens.append(sentences[sentence][t])
                sentenceOfRow.append(sentence)
            }
        }
        self.lengths = lengths
        self.order = order
        self.activeCounts = activeCounts
        self.timeOffsets = timeOffsets
        self.tokens = tokens
        self.sentenceOfRow = sentenceOfRow
    }

    /// The rows of batch sentence `sentence`, in time order.
    func rows(ofSentence sentence: Int) -> [Int] {
        let position = order.firstIndex(of: sentence)!
        return (0..<lengths[sentence]).map { timeOffsets[$0] + position }
    }
}
