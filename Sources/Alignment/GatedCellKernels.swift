import Tensors

/// The order of a GRU's gate blocks in its pre-activations `[rows, 3h]` and weights `[3h, ·]`:
/// reset r, update z, candidate n (PyTorch's and the captioner's `GRUCell`).
enum GRUGates {
    static let reset = 0, update = 1, candidate = 2
}

/// The order of an LSTM's gate blocks in its pre-activations `[rows, 4h]` and weights `[4h, ·]`:
/// input i, forget f, output o, candidate g (the captioner's `LSTMCell`).
enum LSTMGates {
    static let input = 0, forget = 1, output = 2, candidate = 3
}

/// The pointwise math of one step of a GRU or LSTM over a block of rows, and its derivative,
/// eight units at a time (`RowKernels.sigmoid`, `RowKernels.tanh`). The matrix products around
/// it are `GatedRecurrence`'s. Every pointer addresses `rows` consecutive rows; a row of gates
/// is `G·h` wide, every other row `h` wide.
///
/// The equations are the captioner's cells (`GRUCell`, `LSTMCell`), weights `[out, in]`:
///
///     GRU   a = W_x x + b,  u = W_h h_prev                        [3h] each, blocks r, z, n
///           r = σ(a_r + u_r)   z = σ(a_z + u_z)   n = tanh(a_n + r ⊙ u_n)
///           h = (1 − z) ⊙ n + z ⊙ h_prev
///     LSTM  a = W_x x + W_h h_prev + b                            [4h], blocks i, f, o, g
///           i, f, o = σ(a_i, a_f, a_o)   g = tanh(a_g)
///           c = f ⊙ c_prev + i ⊙ g       h = o ⊙ tanh c
enum GatedCellKernels {
    /// GRU step. In: `gates` = W_x x + b, `hiddenProducts` = W_h h_prev, `previous` = h_prev.
    /// Out: `gates` = [r, z, n], `hidden` = h.
    static func gruForward(rows: Int, width h: Int, gates: UnsafeMutablePointer<Float>,
                           hiddenProducts: UnsafePointer<Float>, previous: UnsafePointer<Float>,
                           hidden: UnsafeMutablePointer<Float>) {
        let (r, z, n) = (GRUGates.reset * h, GRUGates.update * h, GRUGates.candidate * h)
        for row in 0..<rows {
            let a = gates + row * 3 * h, u = hiddenProducts + row * 3 * h
            let previousRow = previous + row * h, hiddenRow = hidden + row * h
            for j in stride(from: 0, to: h, by: 8) {
                let lanes = min(8, h - j)
                func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { RowKernels.load(p + j, count: lanes) }
                let reset = RowKernels.sigmoid(load(a + r) + load(u + r))
                let update = RowKernels.sigmoid(load(a + z) + load(u + z))
                let candidate = RowKernels.tanh(load(a + n) + reset * load(u + n))
                let h0 = load(previousRow)
                RowKernels.store(reset, a + r + j, count: lanes)
                RowKernels.store(update, a + z + j, count: lanes)
                RowKernels.store(candidate, a + n + j, count: lanes)
                RowKernels.store(candidate + update * (h0 - candidate), hiddenRow + j, count: lanes)
            }
        }
    }

    /// GRU step backward. With dh = ∂C/∂h (`hiddenGradient`) and u_n = (W_h h_prev)_n:
    ///
    ///     da_n = dh ⊙ (1 − z) ⊙ (1 − n²)     da_r = da_n ⊙ u_n ⊙ r(1 − r)
    ///     da_z = dh ⊙ (h_prev − n) ⊙ z(1 − z)
    ///     ∂C/∂a = [da_r, da_z, da_n]    ∂C/∂u = [da_r, da_z, da_n ⊙ r]    ∂C/∂h_prev ∋ dh ⊙ z
    ///
    /// Writes ∂C/∂a to `gateGradient`, ∂C/∂u to `hiddenProductGradient` and the direct part of
    /// ∂C/∂h_prev to `previousGradient` (the product through W_h adds the rest).
    static func gruBackward(rows: Int, width h: Int, gates: UnsafePointer<Float>, hiddenProducts: UnsafePointer<Float>,
                            previous: UnsafePointer<Float>, hiddenGradient: UnsafePointer<Float>,
                            gateGradient: UnsafeMutablePointer<Float>, hiddenProductGradient: UnsafeMutablePointer<Float>,
                            previousGradient: UnsafeMutablePointer<Float>) {
        let (r, z, n) = (GRUGates.reset * h, GRUGates.update * h, GRUGates.candidate * h)
        for row in 0..<rows {
            let gate = gates + row * 3 * h, u = hiddenProducts + row * 3 * h
            let da = gateGradient + row * 3 * h, du = hiddenProductGradient + row * 3 * h
            let previousRow = previous + row * h, dh = hiddenGradient + row * h, dPrevious = previousGradient + row * h
            for j in stride(from: 0, to: h, by: 8) {
                let lanes = min(8, h - j)
                func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { RowKernels.load(p + j, count: lanes) }
                let reset = load(gate + r), update = load(gate + z), candidate = load(gate + n)
                let dOut = load(dh)
                let dCandidate = dOut * (1 - update) * (1 - candidate * candidate)
                let dReset = dCandidate * load(u + n) * reset * (1 - reset)
                let dUpdate = dOut * (load(previousRow) - candidate) * update * (1 - update)
                RowKernels.store(dReset, da + r + j, count: lanes)
                RowKernels.store(dUpdate, da + z + j, count: lanes)
                RowKernels.store(dCandidate, da + n + j, count: lanes)
                RowKernels.store(dReset, du + r + j, count: lanes)
                RowKernels.store(dUpdate, du + z + j, count: lanes)
                RowKernels.store(dCandidate * reset, du + n + j, count: lanes)
                RowKernels.store(dOut * update, dPrevious + j, count: lanes)
            }
        }
    }

    /// LSTM step. In: `gates` = W_x x + W_h h_prev + b, `previousMemory` = c_prev. Out: `gates` =
    /// [i, f, o, g], `memory` = c, `squashedMemory` = tanh c, `hidden` = h.
    static func lstmForward(rows: Int, width h: Int, gates: UnsafeMutablePointer<Float>,
                            previousMemory: UnsafePointer<Float>, memory: UnsafeMutablePointer<Float>,
                            squashedMemory: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>) {
        let (i, f, o, g) = (LSTMGates.input * h, LSTMGates.forget * h, LSTMGates.output * h, LSTMGates.candidate * h)
        for row in 0..<rows {
            let a = gates + row * 4 * h, cell = row * h
            for j in stride(from: 0, to: h, by: 8) {
                let lanes = min(8, h - j)
                func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { RowKernels.load(p + j, count: lanes) }
                let input = RowKernels.sigmoid(load(a + i))
                let forget = RowKernels.sigmoid(load(a + f))
                let output = RowKernels.sigmoid(load(a + o))
                let candidate = RowKernels.tanh(load(a + g))
                let c = forget * load(previousMemory + cell) + input * candidate
                let squashed = RowKernels.tanh(c)
                RowKernels.store(input, a + i + j, count: lanes)
                RowKernels.store(forget, a + f + j, count: lanes)
                RowKernels.store(output, a + o + j, count: lanes)
                RowKernels.store(candidate, a + g + j, count: lanes)
                RowKernels.store(c, memory + cell + j, count: lanes)
                RowKernels.store(squashed, squashedMemory + cell + j, count: lanes)
                RowKernels.store(output * squashed, hidden + cell + j, count: lanes)
            }
        }
    }

    /// LSTM step backward. With dh = ∂C/∂h (`hiddenGradient`) and dc = ∂C/∂c from the next step
    /// (`memoryGradient` on entry):
    ///
    ///     dc' = dc + dh ⊙ o ⊙ (1 − tanh²c)
    ///     da_i = dc' ⊙ g ⊙ i(1 − i)     da_f = dc' ⊙ c_prev ⊙ f(1 − f)
    ///     da_o = dh ⊙ tanh c ⊙ o(1 − o)  da_g = dc' ⊙ i ⊙ (1 − g²)     ∂C/∂c_prev = dc' ⊙ f
    ///
    /// Writes ∂C/∂a to `gateGradient` and ∂C/∂c_prev over `memoryGradient`.
    static func lstmBackward(rows: Int, width h: Int, gates: UnsafePointer<Float>, previousMemory: UnsafePointer<Float>,
                             squashedMemory: UnsafePointer<Float>, hiddenGradient: UnsafePointer<Float>,
                             memoryGradient: UnsafeMutablePointer<Float>, gateGradient: UnsafeMutablePointer<Float>) {
        let (i, f, o, g) = (LSTMGates.input * h, LSTMGates.forget * h, LSTMGates.output * h, LSTMGates.candidate * h)
        for row in 0..<rows {
            let gate = gates + row * 4 * h, da = gateGradient + row * 4 * h, cell = row * h
            for j in stride(from: 0, to: h, by: 8) {
                let lanes = min(8, h - j)
                func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { RowKernels.load(p + j, count: lanes) }
                let input = load(gate + i), forget = load(gate + f), output = load(gate + o), candidate = load(gate + g)
                let squashed = load(squashedMemory + cell), dh = load(hiddenGradient + cell)
                let dc = load(memoryGradient + cell) + dh * output * (1 - squashed * squashed)
                RowKernels.store(dc * candidate * input * (1 - input), da + i + j, count: lanes)
                RowKernels.store(dc * load(previousMemory + cell) * forget * (1 - forget), da + f + j, count: lanes)
                RowKernels.store(dh * squashed * output * (1 - output), da + o + j, count: lanes)
                RowKernels.store(dc * input * (1 - candidate * candidate), da + g + j, count: lanes)
                RowKernels.store(dc * forget, memoryGradient + cell + j, count: lanes)
            }
        }
    }
}
