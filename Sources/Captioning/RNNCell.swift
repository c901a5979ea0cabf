import Foundation
import Tensors

/// Elman recurrent cell with tanh, the simplest baseline (Karpathy's char-rnn `rnn` model).
///
///     h = BatchMath.tanh([x, h_prev] · W + b)            // [B, E+H] × [E+H, H] → [B, H]
///
/// Parameters: `rnn.weight` `[E+H, H]`, `rnn.bias` `[H]` (zero at start).
public struct RNNCell: RecurrentCell {
    public static let kind = CellKind.rnn
    public let gates: GateParameters

    public init(gates: GateParameters) { self.gates = gates }

    public static func initialBias(hiddenSize: Int) -> Tensor { Tensor(shape: [hiddenSize]) }

    public func forward(_ x: Tensor, state: RecurrentState) -> (state: RecurrentState, cache: CellCache) {
        let input = Tensor.concatenatingColumns([x, state.hidden])
        var hidden = BatchMath.affine(input, weight, bias)
        for k in hidden.data.indices { hidden.data[k] = BatchMath.tanh(hidden.data[k]) }
        return (RecurrentState(hidden: hidden), CellCache(input: input, gates: hidden))
    }

    /// `da = dh ⊙ (1 − h²)`, `dW += [x, h_prev]ᵀ · da`, `db += Σ da`, `[dx, dh_prev] = da · Wᵀ`.
    public func backward(_ dState: RecurrentState, cache: CellCache,
                         gradients: inout CellGradients) -> (dx: Tensor, dPrevious: RecurrentState) {
        var dPreactivation = dState.hidden
        for k in dPreactivation.data.indices {
            let h = cache.gates.data[k]
            dPreactivation.data[k] *= 1 - h * h
        }
        BatchMath.accumulateAffineGradients(input: cache.input, outputGradient: dPreactivation,
                                            weight: &gradients.weight, bias: &gradients.bias)
        let dInput = BatchMath.inputGradient(outputGradient: dPreactivation, weight: weight)
        let (dx, dHidden) = (dInput.columns(0..<inputSize), dInput.columns(inputSize..<dInput.shape[1]))
        return (dx, RecurrentState(hidden: dHidden))
    }
}
