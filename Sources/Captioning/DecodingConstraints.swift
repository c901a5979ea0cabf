/// Rules every decoder (`BeamSearch`, `Sampler`) applies to the model's log-probabilities before
/// choosing a token: the forbidden tokens get −∞.
///
/// - `<start>` and `<unk>` are never emitted.
/// - `<end>` is forbidden until `minimumWords` words are out, so no caption is empty.
/// - With `noRepeatNgram` = n > 0, a word that would complete an n-gram of words already in the
///   caption is forbidden (n = 2 allows "dog dog" once but never "dog dog dog"; n = 1 forbids any
///   repeated word).
public struct DecodingConstraints: Sendable, Equatable {
    /// n of the n-gram that may not repeat; 0 turns the rule off.
    public var noRepeatNgram: Int
    /// Words required before `<end>`; at least 1.
    public var minimumWords: Int

    public init(noRepeatNgram: Int = 0, minimumWords: Int = 1) {
        precondition(noRepeatNgram >= 0, "noRepeatNgram must be ≥ 0")
        precondition(minimumWords >= 1, "a caption needs at least one word")
        self.noRepeatNgram = noRepeatNgram
        self.minimumWords = minimumWords
    }

    /// Sets −∞ on every token of `logProbs` `// [V]` that may not follow `words`.
    func mask(_ logProbs: inout [Float], after words: [Int]) {
        logProbs[CaptionModel.startToken] = -.infinity
        logProbs[CaptionModel.unknownToken] = -.infinity
        if words.count < minimumWords { logProbs[CaptionModel.endToken] = -.infinity }
        let n = noRepeatNgram
        guard n > 0, words.count >= n - 1 else { return }
        // The last n−1 words; any earlier occurrence of them bans the word that followed it.
        let tail = words.suffix(n - 1)
        var start = 0
        while start + n - 1 < words.count {
            if words[start..<(start + n - 1)].elementsEqual(tail) {
                logProbs[words[start + n - 1]] = -.infinity
            }
            start += 1
        }
    }
}
