import Foundation
import Tensors

/// Gated recurrent unit in the "linear before reset" form of cuDNN and PyTorch, one bias per gate:
///
///     a_x = x · W_x          a_h = h_prev · W_h          // [B, E]×[E, 3H], [B, H]×[H, 3H]
///     r = σ(a_x,r + a_h,r + b_r)        z = σ(a_x,z + a_h,z + b_z)   // gate blocks r, z, n
///     n = BatchMath.tanh(a_x,n + b_n + r ⊙ a_h,n)
///     h = (1 − z) ⊙ n + z ⊙ h_prev                        // [B, H]
///
/// `W_x` and `W_h` are the top E and bottom H rows of the fused `gru.weight` `[E+H, 3H]`; the bias
/// is `gru.bias` `[3H]`. The reset gate scales only the recurrent half of the candidate, so that
/// half must stay separate: the fused `[x, h_prev] · W` is issued as its two K-halves (x rows and
/// h rows), two GEMMs with the same total work as one.
public struct GRUCell: RecurrentCell, SequenceCell {
    public static let kind = CellKind.gru
    static let keepsRecurrentApart = true
    public let gates: GateParameters

    public init(gates: GateParameters) { self.gates = gates }

    public static func initialBias(hiddenSize: Int) -> Tensor { Tensor(shape: [3 * hiddenSize]) }

    public func forward(_ x: Tensor, state: RecurrentState) -> (state: RecurrentState, cache: CellCache) {
        let rows = x.shape[0], hs = hiddenSize, e = inputSize, width = e + hs, g = 3 * hs
        let input = Tensor.concatenatingColumns([x, state.hidden])
        var fromInput = [Float](repeating: 0, count: rows * g)   // a_x + b   [B, 3H]
        var fromHidden = [Float](repeating: 0, count: rows * g)  // a_h       [B, 3H]
        for r in 0..<rows {
            for j in 0..<g { fromInput[r * g + j] = bias.data[j] }
        }
        if rows > 0 {
            input.data.withUnsafeBufferPointer { xh in
                weight.data.withUnsafeBufferPointer { w in
                    fromInput.withUnsafeMutableBufferPointer { ax in
                        fromHidden.withUnsafeMutableBufferPointer { ah in
                            if e > 0 {
                                BLAS.gemm(m: rows, n: g, k: e, a: xh.baseAddress!, lda: width,
                                          b: w.baseAddress!, ldb: g, beta: 1, c: ax.baseAddress!, ldc: g)
                            }
                            BLAS.gemm(m: rows, n: g, k: hs, a: xh.baseAddress! + e, lda: width,
                                      b: w.baseAddress! + e * g, ldb: g, c: ah.baseAddress!, ldc: g)
                        }
                    }
                }
            }
        }
        // r, z, n replace a_x + b in place.
        var recurrentCandidate = [Float](repeating: 0, count: rows * hs)
        var hidden = [Float](repeating: 0, count: rows * hs)
        fromInput.withUnsafeMutableBufferPointer { ax in
        fromHidden.withUnsafeMutableBufferPointer { ah in
        input.data.withUnsafeBufferPointer { xh in
        recurrentCandidate.withUnsafeMutableBufferPointer { u in
        hidden.withUnsafeMutableBufferPointer { h in
            guard rows > 0 else { return }
            activate(SequenceStep(rows: rows, gates: ax.baseAddress!, recurrent: ah.baseAddress!,
                                  previousHidden: xh.baseAddress! + e, previousHiddenStride: width,
                                  hidden: h.baseAddress!, auxiliary: u.baseAddress!))
        }}}}}
        let cache = CellCache(input: input, gates: Tensor(shape: [rows, g], data: fromInput),
                              auxiliary: Tensor(shape: [rows, hs], data: recurrentCandidate))
        return (RecurrentState(hidden: Tensor(shape: [rows, hs], data: hidden)), cache)
    }

    /// r, z, n in place of a_x + b, u = a_h,n (`auxiliary`) and h.
    func activate(_ s: SequenceStep) {
        let hs = hiddenSize
        let fromHidden = s.recurrent!, recurrentCandidate = s.auxiliary!
        for r in 0..<s.rows {
            let ax = s.gates + r * 3 * hs, ah = fromHidden + r * 3 * hs
            let previous = s.previousHidden + r * s.previousHiddenStride, cell = r * hs
            for j in 0..<hs {
                let reset = BatchMath.sigmoid(ax[j] + ah[j])
                let update = BatchMath.sigmoid(ax[hs + j] + ah[hs + j])
                let u = ah[2 * hs + j]
                let candidate = BatchMath.tanh(ax[2 * hs + j] + reset * u)
                ax[j] = reset; ax[hs + j] = update; ax[2 * hs + j] = candidate
                recurrentCandidate[cell + j] = u
                s.hidden[cell + j] = (1 - update) * candidate + update * previous[j]
            }
        }
    }

    /// With `dh` the gradient reaching this step's output and `u = a_h,n`:
    ///
    ///     dn = dh ⊙ (1−z)        da_n = dn ⊙ (1−n²)        da_r = da_n ⊙ u ⊙ r(1−r)
    ///     da_z = dh ⊙ (h_prev − n) ⊙ z(1−z)
    ///     dA_x = [da_r, da_z, da_n]     dA_h = [da_r, da_z, da_n ⊙ r]     dh_prev (direct) = dh ⊙ z
    ///
    /// (then db += Σ dA_x, dW_x += xᵀ · dA_x, dW_h += h_prevᵀ · dA_h, dx = dA_x · W_xᵀ and
    /// dh_prev += dA_h · W_hᵀ, by `TeacherForcing`).
    func differentiate(_ s: SequenceStep, _ d: SequenceStepGradients) {
        let hs = hiddenSize
        let recurrentCandidate = s.auxiliary!, dHiddenSide = d.recurrent!, dPrevious = d.previousHidden!
        for r in 0..<s.rows {
            let gate = s.gates + r * 3 * hs, dx = d.gates + r * 3 * hs, dh = dHiddenSide + r * 3 * hs
            let previous = s.previousHidden + r * s.previousHiddenStride, cell = r * hs
            for j in 0..<hs {
                let reset = gate[j], update = gate[hs + j], candidate = gate[2 * hs + j]
                let dOut = d.hidden[cell + j]
                let dCandidate = dOut * (1 - update) * (1 - candidate * candidate)
                let dReset = dCandidate * recurrentCandidate[cell + j] * reset * (1 - reset)
                let dUpdate = dOut * (previous[j] - candidate) * update * (1 - update)
                dx[j] = dReset; dx[hs + j] = dUpdate; dx[2 * hs + j] = dCandidate
                dh[j] = dReset; dh[hs + j] = dUpdate; dh[2 * hs + j] = dCandidate * reset
                dPrevious[cell + j] = dOut * update
            }
        }
    }
}
