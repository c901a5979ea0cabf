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
public struct GRUCell: RecurrentCell {
    public static let kind = CellKind.gru
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
        var gates = [Float](repeating: 0, count: rows * g)       // r, z, n
        var recurrentCandidate = [Float](repeating: 0, count: rows * hs)
        var hidden = [Float](repeating: 0, count: rows * hs)
        for r in 0..<rows {
            let o = r * g
            for j in 0..<hs {
                let reset = BatchMath.sigmoid(fromInput[o + j] + fromHidden[o + j])
                let update = BatchMath.sigmoid(fromInput[o + hs + j] + fromHidden[o + hs + j])
                let u = fromHidden[o + 2 * hs + j]
                let candidate = BatchMath.tanh(fromInput[o + 2 * hs + j] + reset * u)
                gates[o + j] = reset; gates[o + hs + j] = update; gates[o + 2 * hs + j] = candidate
                recurrentCandidate[r * hs + j] = u
                hidden[r * hs + j] = (1 - update) * candidate + update * input.data[r * width + e + j]
            }
        }
        let cache = CellCache(input: input, gates: Tensor(shape: [rows, g], data: gates),
                              auxiliary: Tensor(shape: [rows, hs], data: recurrentCandidate))
        return (RecurrentState(hidden: Tensor(shape: [rows, hs], data: hidden)), cache)
    }

    /// With `dh` the gradient reaching this step's output and `u = a_h,n`:
    ///
    ///     dn = dh ⊙ (1−z)        da_n = dn ⊙ (1−n²)        da_r = da_n ⊙ u ⊙ r(1−r)
    ///     da_z = dh ⊙ (h_prev − n) ⊙ z(1−z)
    ///     dA_x = [da_r, da_z, da_n]     dA_h = [da_r, da_z, da_n ⊙ r]     db += Σ dA_x
    ///     dW_x += xᵀ · dA_x    dW_h += h_prevᵀ · dA_h    dx = dA_x · W_xᵀ
    ///     dh_prev = dA_h · W_hᵀ + dh ⊙ z
    public func backward(_ dState: RecurrentState, cache: CellCache,
                         gradients: inout CellGradients) -> (dx: Tensor, dPrevious: RecurrentState) {
        let rows = cache.input.shape[0], hs = hiddenSize, e = inputSize, width = e + hs, g = 3 * hs
        guard let recurrentCandidate = cache.auxiliary else { preconditionFailure("GRU backward needs h_prev · W_hn") }
        var dInputSide = [Float](repeating: 0, count: rows * g)
        var dHiddenSide = [Float](repeating: 0, count: rows * g)
        var dPrevious = [Float](repeating: 0, count: rows * hs)
        for r in 0..<rows {
            let o = r * g
            for j in 0..<hs {
                let reset = cache.gates.data[o + j], update = cache.gates.data[o + hs + j]
                let candidate = cache.gates.data[o + 2 * hs + j]
                let previous = cache.input.data[r * width + e + j]
                let dh = dState.hidden.data[r * hs + j]
                let dCandidate = dh * (1 - update) * (1 - candidate * candidate)
                let dReset = dCandidate * recurrentCandidate.data[r * hs + j] * reset * (1 - reset)
                let dUpdate = dh * (previous - candidate) * update * (1 - update)
                dInputSide[o + j] = dReset; dInputSide[o + hs + j] = dUpdate; dInputSide[o + 2 * hs + j] = dCandidate
                dHiddenSide[o + j] = dReset; dHiddenSide[o + hs + j] = dUpdate
                dHiddenSide[o + 2 * hs + j] = dCandidate * reset
                dPrevious[r * hs + j] = dh * update
            }
        }
        var dx = [Float](repeating: 0, count: rows * e)
        if rows > 0 {
            cache.input.data.withUnsafeBufferPointer { xh in
            weight.data.withUnsafeBufferPointer { w in
            gradients.weight.data.withUnsafeMutableBufferPointer { dW in
            dInputSide.withUnsafeBufferPointer { dax in
            dHiddenSide.withUnsafeBufferPointer { dah in
                if e > 0 {
                    BLAS.gemm(transA: true, m: e, n: g, k: rows, a: xh.baseAddress!, lda: width,
                              b: dax.baseAddress!, ldb: g, beta: 1, c: dW.baseAddress!, ldc: g)
                    dx.withUnsafeMutableBufferPointer { out in
                        BLAS.gemm(transB: true, m: rows, n: e, k: g, a: dax.baseAddress!, lda: g,
                                  b: w.baseAddress!, ldb: g, c: out.baseAddress!, ldc: e)
                    }
                }
                BLAS.gemm(transA: true, m: hs, n: g, k: rows, a: xh.baseAddress! + e, lda: width,
                          b: dah.baseAddress!, ldb: g, beta: 1, c: dW.baseAddress! + e * g, ldc: g)
                // dh_prev = dA_h · W_hᵀ + dh ⊙ z: the GEMM adds onto the direct path (beta = 1).
                dPrevious.withUnsafeMutableBufferPointer { out in
                    BLAS.gemm(transB: true, m: rows, n: hs, k: g, a: dah.baseAddress!, lda: g,
                              b: w.baseAddress! + e * g, ldb: g, beta: 1, c: out.baseAddress!, ldc: hs)
                }
            }}}}}
            gradients.bias.data.withUnsafeMutableBufferPointer { db in
                dInputSide.withUnsafeBufferPointer { dax in
                    BatchMath.addColumnSums(dax.baseAddress!, rows: rows, columns: g, into: db.baseAddress!)
                }
            }
        }
        return (Tensor(shape: [rows, e], data: dx),
                RecurrentState(hidden: Tensor(shape: [rows, hs], data: dPrevious)))
    }
}
