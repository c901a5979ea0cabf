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

    /// Max of hinges (VSE++) on a matrix where row 0 has two active hinges: only the hardest,
    /// S_02 = 1.8, pays; the sum of hinges pays both.
    ///
    ///     | 2  1.5  1.8 |    row 0: hinges 0.5 (S_01) and 0.8 (S_02) → max 0.8, sum 1.3
    ///     | 0  2    0   |    column 1: S_01 − S_11 + 1 = 0.5;  column 2: S_02 − S_22 + 1 = 0.8
    ///     | 0  0    2   |    everything else inactive
    @Test func maxOfHingesPaysOnlyTheHardestNegative() {
        let scores = Tensor(shape: [3, 3], data: [2, 1.5, 1.8,
                                                  0, 2, 0,
                                                  0, 0, 2])
        let (sum, _) = RankingLoss.evaluate(scores: scores, margin: 1, negatives: .all)
        #expect(abs(sum - 2.6) < 1e-6)
        let (hardest, gradient) = RankingLoss.evaluate(scores: scores, margin: 1, negatives: .hardest)
        #expect(abs(hardest - 2.1) < 1e-6)
        // S_02 is the hardest rival of row 0 and of column 2; S_01 only of column 1.
        #expect(gradient.data == [-1, 1, 2,
                                  0, -1, 0,
                                  0, 0, -1])
    }

    /// The hardest negative is the one with the highest score wherever it sits, and a tie goes
    /// to the first; a batch ranked with margin costs nothing either way.
    @Test func hardestNegativeIsTheArgmax() {
        let b = 5
        var data = [Float](repeating: 0, count: b * b)
        for k in 0..<b { data[k * b + k] = 10 }
        data[2 * b + 4] = 9.5   // image 2's hardest sentence; also sentence 4's hardest image
        data[2 * b + 1] = 9.5   // tied with it in row 2, earlier: takes row 2's gradient
        let (loss, gradient) = RankingLoss.evaluate(scores: Tensor(shape: [b, b], data: data), margin: 1, negatives: .hardest)
        // Row 2: 0.5 (S_21); column 1: 0.5 (S_21); column 4: 0.5 (S_24).
        #expect(abs(loss - 1.5) < 1e-6)
        #expect(gradient.data[2 * b + 1] == 2 && gradient.data[2 * b + 4] == 1)
        #expect(gradient.data[2 * b + 2] == -1 && gradient.data[1 * b + 1] == -1 && gradient.data[4 * b + 4] == -1)
        var ranked = data
        ranked[2 * b + 4] = 0
        ranked[2 * b + 1] = 0
        #expect(RankingLoss.evaluate(scores: Tensor(shape: [b, b], data: ranked), margin: 1, negatives: .hardest).loss == 0)
    }
}
