import Alignment
import Tensors
import Testing

/// Paper eq. 9 on hand-made score matrices, terms counted by hand.
@Suite struct RankingLossTests {
    /// S (images × sentences) and its 12 hinges S_kl − S_kk + 1 (row k) and S_lk − S_kk + 1
    /// (column k), l ≠ k:
    ///
    ///     | 5  1  4.5 |    rows:    −3, 0.5 | 0 (exactly 0: inactive), −2 | −5, −2
    ///     | 2  3  0   |    columns: −2, −4  | −1, 1                       | −0.5, −5
    ///     | 0  3  6   |
    ///
    /// C = 0.5 + 1 = 1.5.
    @Test func handCountedHinges() {
        let scores = Tensor(shape: [3, 3], data: [5, 1, 4.5,
                                                  2, 3, 0,
                                                  0, 3, 6])
        let (loss, gradient) = RankingLoss.evaluate(scores: scores, margin: 1)
        #expect(loss == 1.5)
        // Active: (0, 2) in row 0 pushes S_02 up, S_00 down; (2, 1) in column 1 pushes S_21 up, S_11 down.
        #expect(gradient.data == [-1, 0, 1,
                                  0, -1, 0,
                                  0, 1, 0])
    }

    @Test func rankedWithMarginGivesZero() {
        let scores = Tensor(shape: [2, 2], data: [3, 1, 0, 2.5])
        let (loss, gradient) = RankingLoss.evaluate(scores: scores, margin: 1)
        #expect(loss == 0)
        #expect(gradient.data.allSatisfy { $0 == 0 })
    }

    /// All scores equal: every one of the 2·B·(B − 1) hinges is active at exactly Δ.
    @Test func tiedScoresPayTheMarginEverywhere() {
        let b = 4
        let (loss, gradient) = RankingLoss.evaluate(scores: Tensor(shape: [b, b], repeating: 0.7), margin: 1)
        #expect(loss == Float(2 * b * (b - 1)))
        for k in 0..<b {
            for l in 0..<b {
                // Off-diagonal: once in its row, once in its column; diagonal: −2(B − 1).
                #expect(gradient.data[k * b + l] == (k == l ? Float(-2 * (b - 1)) : 2))
            }
        }
    }

    /// A single pair has nothing to be ranked against.
    @Test func singlePairHasNoLoss() {
        let (loss, gradient) = RankingLoss.evaluate(scores: Tensor(shape: [1, 1], data: [-3]), margin: 1)
        #expect(loss == 0 && gradient.data == [0])
    }
}
