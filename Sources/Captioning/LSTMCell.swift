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
public struct LSTMCell: RecurrentCell {
    public static let kind = CellKind.lstm
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
                for r in 0..<rows {
                    let row = a.baseAddress! + r * 4 * hs
                    for j in 0..<hs {
                        let i = BatchMath.sigmoid(row[j])
                        let f = BatchMath.sigmoid(row[hs + j])
                        let o = BatchMath.sigmoid(row[2 * hs + j])
                        let g = BatchMath.tanh(row[3 * hs + j])
                        row[j] = i; row[hs + j] = f; row[2 * hs + j] = o; row[3 * hs + j] = g
                        let c = f * cp[r * hs + j] + i * g
                        let tc = BatchMath.tanh(c)
                        memory[r * hs + j] = c
                        squashed[r * hs + j] = tc
                        hidden[r * hs + j] = o * tc
                    }
                }
            }
        }
        let next = RecurrentState(hidden: Tensor(shape: [rows, hs], data: hidden),
                                  memory: Tensor(shape: [rows, hs], data: memory))
        let cache = CellCache(input: input, gates: gates, previousMemory: previousMemory,
                              auxiliary: Tensor(shape: [rows, hs], data: squashed))
        return (next, cache)
    }

    /// With `dh`, `dc` the gradients reaching this step's `h` and `c`:
    ///
    ///     dc_total = dc + dh ⊙ o ⊙ (1 − tanh²c)
    ///     da_i = dc_total ⊙ g ⊙ i(1−i)        da_f = dc_total ⊙ c_prev ⊙ f(1−f)
    ///     da_o = dh ⊙ tanh c ⊙ o(1−o)         da_g = dc_total ⊙ i ⊙ (1−g²)
    ///     dW += [x, h_prev]ᵀ · da    db += Σ da    [dx, dh_prev] = da · Wᵀ    dc_prev = dc_total ⊙ f
    public func backward(_ dState: RecurrentState, cache: CellCache,
                         gradients: inout CellGradients) -> (dx: Tensor, dPrevious: RecurrentState) {
        let rows = cache.input.shape[0], hs = hiddenSize
        guard let dMemory = dState.memory, let previousMemory = cache.previousMemory,
              let squashed = cache.auxiliary else { preconditionFailure("LSTM backward needs c, c_prev and tanh c") }
        var dGates = [Float](repeating: 0, count: rows * 4 * hs)
        var dPreviousMemory = [Float](repeating: 0, count: rows * hs)
        for r in 0..<rows {
            let gate = r * 4 * hs, cell = r * hs
            for j in 0..<hs {
                let i = cache.gates.data[gate + j], f = cache.gates.data[gate + hs + j]
                let o = cache.gates.data[gate + 2 * hs + j], g = cache.gates.data[gate + 3 * hs + j]
                let tc = squashed.data[cell + j], dh = dState.hidden.data[cell + j]
                let dc = dMemory.data[cell + j] + dh * o * (1 - tc * tc)
                dGates[gate + j] = dc * g * i * (1 - i)
                dGates[gate + hs + j] = dc * previousMemory.data[cell + j] * f * (1 - f)
                dGates[gate + 2 * hs + j] = dh * tc * o * (1 - o)
                dGates[gate + 3 * hs + j] = dc * i * (1 - g * g)
                dPreviousMemory[cell + j] = dc * f
            }
        }
        let dPreactivation = Tensor(shape: [rows, 4 * hs], data: dGates)
        BatchMath.accumulateAffineGradients(input: cache.input, outputGradient: dPreactivation,
                                            weight: &gradients.weight, bias: &gradients.bias)
        let dInput = BatchMath.inputGradient(outputGradient: dPreactivation, weight: weight)
        let (dx, dHidden) = (dInput.columns(0..<inputSize), dInput.columns(inputSize..<dInput.shape[1]))
        return (dx, RecurrentState(hidden: dHidden, memory: Tensor(shape: [rows, hs], data: dPreviousMemory)))
    }
}
