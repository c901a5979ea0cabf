import Foundation
import Tensors

/// Long short-term memory cell, as in Show and Tell and neuraltalk2 (no peepholes).
///
///     a = [x, h_prev] · W + b                  // [B, E+H] × [E+H, 4H] → [B, 4H]
///     i = σ(a_i)   f = σ(a_f)   o = σ(a_o)   g = BatchMath.tanh(a_g)      // gate blocks in that order
///     c = f ⊙ c_prev + i ⊙ g                   // [B, H]
///     h = o ⊙ tanh(c)                          // [B, H]
///
/// Parameters: `lstm.weight` `[E+H, 4H]`, `lstm.bias` `[4H]`. A fresh cell's forget-gate bias is 1
/// (Gers et al. 2000; Jozefowicz et al. 2015) so the memory is kept, and gradients flow through
/// `c`, from the first update on.
public struct LSTMCell: RecurrentCell, SequenceCell {
    public static let kind = CellKind.lstm
    static let keepsRecurrentApart = false
    public let gates: GateParameters

    public init(gates: GateParameters) { self.gates = gates }

    /// Zeros, except 1 on the forget-gate block `[H, 2H)`.
    public static func initialBias(hiddenSize: Int) -> Tensor {
        var bias = Tensor(shape: [4 * hiddenSize])
        for j in hiddenSize..<(2 * hiddenSize) { bias.data[j] = 1 }
        return bias
    }

    public func forward(_ x: Tensor, state: RecurrentState) -> (state: RecurrentState, cache: CellCache) {
        let rows = x.shape[0], hs = hiddenSize
        guard let previousMemory = state.memory else { preconditionFailure("LSTM state needs a memory cell") }
        let input = Tensor.concatenatingColumns([x, state.hidden])
        var gates = BatchMath.affine(input, weight, bias)
        var memory = [Float](repeating: 0, count: rows * hs)
        var squashed = [Float](repeating: 0, count: rows * hs)
        var hidden = [Float](repeating: 0, count: rows * hs)
        gates.data.withUnsafeMutableBufferPointer { a in
        previousMemory.data.withUnsafeBufferPointer { cp in
        input.data.withUnsafeBufferPointer { xh in
        memory.withUnsafeMutableBufferPointer { c in
        squashed.withUnsafeMutableBufferPointer { tc in
        hidden.withUnsafeMutableBufferPointer { h in
            guard rows > 0 else { return }
            activate(SequenceStep(rows: rows, gates: a.baseAddress!, previousHidden: xh.baseAddress! + inputSize,
                                  previousHiddenStride: inputSize + hs, previousMemory: cp.baseAddress!,
                                  hidden: h.baseAddress!, memory: c.baseAddress!, auxiliary: tc.baseAddress!))
        }}}}}}
        let next = RecurrentState(hidden: Tensor(shape: [rows, hs], data: hidden),
                                  memory: Tensor(shape: [rows, hs], data: memory))
        let cache = CellCache(input: input, gates: gates, previousMemory: previousMemory,
                              auxiliary: Tensor(shape: [rows, hs], data: squashed))
        return (next, cache)
    }

    /// i, f, o, g in place of their pre-activations; c, tanh c (`auxiliary`) and h; eight units
    /// at a time (`RowKernels.sigmoid`, `RowKernels.tanh`).
    func activate(_ s: SequenceStep) {
        let hs = hiddenSize
        let memory = s.memory!, squashed = s.auxiliary!, previousMemory = s.previousMemory!
        for r in 0..<s.rows {
            let row = s.gates + r * 4 * hs, cell = r * hs
            for j in stride(from: 0, to: hs, by: 8) {
                let count = min(8, hs - j)
                let i = RowKernels.sigmoid(RowKernels.load(row + j, count: count))
                let f = RowKernels.sigmoid(RowKernels.load(row + hs + j, count: count))
                let o = RowKernels.sigmoid(RowKernels.load(row + 2 * hs + j, count: count))
                let g = RowKernels.tanh(RowKernels.load(row + 3 * hs + j, count: count))
                RowKernels.store(i, row + j, count: count)
                RowKernels.store(f, row + hs + j, count: count)
                RowKernels.store(o, row + 2 * hs + j, count: count)
                RowKernels.store(g, row + 3 * hs + j, count: count)
                let c = f * RowKernels.load(previousMemory + cell + j, count: count) + i * g
                let tc = RowKernels.tanh(c)
                RowKernels.store(c, memory + cell + j, count: count)
                RowKernels.store(tc, squashed + cell + j, count: count)
                RowKernels.store(o * tc, s.hidden + cell + j, count: count)
            }
        }
    }

    /// With `dh`, `dc` the gradients reaching this step's `h` and `c`:
    ///
    ///     dc_total = dc + dh ⊙ o ⊙ (1 − tanh²c)
    ///     da_i = dc_total ⊙ g ⊙ i(1−i)        da_f = dc_total ⊙ c_prev ⊙ f(1−f)
    ///     da_o = dh ⊙ tanh c ⊙ o(1−o)         da_g = dc_total ⊙ i ⊙ (1−g²)
    ///     dc_prev = dc_total ⊙ f
    ///
    /// (then dW += [x, h_prev]ᵀ · da, db += Σ da, [dx, dh_prev] = da · Wᵀ, by `TeacherForcing`).
    func differentiate(_ s: SequenceStep, _ d: SequenceStepGradients) {
        let hs = hiddenSize
        let dMemory = d.memory!, squashed = s.auxiliary!, previousMemory = s.previousMemory!
        for r in 0..<s.rows {
            let gate = s.gates + r * 4 * hs, dGate = d.gates + r * 4 * hs, cell = r * hs
            for j in 0..<hs {
                let i = gate[j], f = gate[hs + j], o = gate[2 * hs + j], g = gate[3 * hs + j]
                let tc = squashed[cell + j], dh = d.hidden[cell + j]
                let dc = dMemory[cell + j] + dh * o * (1 - tc * tc)
                dGate[j] = dc * g * i * (1 - i)
                dGate[hs + j] = dc * previousMemory[cell + j] * f * (1 - f)
                dGate[2 * hs + j] = dh * tc * o * (1 - o)
                dGate[3 * hs + j] = dc * i * (1 - g * g)
                dMemory[cell + j] = dc * f
            }
        }
    }
}
