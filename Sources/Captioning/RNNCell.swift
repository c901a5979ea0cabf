import Foundation
import Tensors

/// Elman recurrent cell with tanh, the simplest baseline (Karpathy's char-rnn `rnn` model).
///
///     h = BatchMath.tanh([x, h_prev] · W + b)            // [B, E+H] × [E+H, H] → [B, H]
///
/// Parameters: `rnn.weight` `[E+H, H]`, `rnn.bias` `[H]` (zero at start).
public struct RNNCell: RecurrentCell, SequenceCell {
    public static let kind = CellKind.rnn
    static let keepsRecurrentApart = false
    public let gates: GateParameters

    public init(gates: GateParameters) { self.gates = gates }

    public static func initialBias(hiddenSize: Int) -> Tensor { Tensor(shape: [hiddenSize]) }

    public func forward(_ x: Tensor, state: RecurrentState) -> (state: RecurrentState, cache: CellCache) {
        let input = Tensor.concatenatingColumns([x, state.hidden])
        var hidden = BatchMath.affine(input, weight, bias)
        for k in hidden.data.indices { hidden.data[k] = BatchMath.tanh(hidden.data[k]) }
        return (RecurrentState(hidden: hidden), CellCache(input: input, gates: hidden))
    }

    /// h = tanh(a), also kept as the gates.
    func activate(_ s: SequenceStep) {
        for k in 0..<(s.rows * hiddenSize) {
            let h = BatchMath.tanh(s.gates[k])
            s.gates[k] = h
            s.hidden[k] = h
        }
    }

    /// `da = dh ⊙ (1 − h²)` (then dW += [x, h_prev]ᵀ · da, db += Σ da, [dx, dh_prev] = da · Wᵀ,
    /// by `TeacherForcing`).
    func differentiate(_ s: SequenceStep, _ d: SequenceStepGradients) {
        for k in 0..<(s.rows * hiddenSize) {
            let h = s.gates[k]
            d.gates[k] = d.hidden[k] * (1 - h * h)
        }
    }
}
