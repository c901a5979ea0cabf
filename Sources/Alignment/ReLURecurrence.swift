import Tensors

/// The paper's recurrent core (eq. 3–5, `SentenceEncoderKind.brnn`): one ReLU input layer both
/// directions share, then a ReLU recurrence each way.
///
///     e_t   = ReLU(W_e x_t + b_e)                      [h]   W_e [h, E]
///     h^f_t = ReLU(e_t + W_f h^f_{t−1} + b_f)          [h]   h^f_{−1} = 0, W_f [h, h]
///     h^b_t = ReLU(e_t + W_b h^b_{t+1} + b_b)          [h]   h^b_T = 0,    W_b [h, h]
///
/// Over a packed batch (`PackedSentences`): e is one GEMM over all N words, each step one GEMM
/// over the sentences still running, the two directions on separate cores.
struct ReLURecurrence: Sendable {
    /// W_e `[h, E]`, b_e `[h]`.
    let inputWeight: Tensor, inputBias: Tensor
    /// W_f `[h, h]`, b_f `[h]`.
    let forwardWeight: Tensor, forwardBias: Tensor
    /// W_b `[h, h]`, b_b `[h]`.
    let backwardWeight: Tensor, backwardBias: Tensor

    var wordSize: Int { inputWeight.shape[1] }
    var hiddenSize: Int { inputWeight.shape[0] }

    /// Takes the BRNN's `sentence.*` tensors, whose names and shapes `AlignmentModel` has checked.
    init(parameters: [String: Tensor]) {
        func tensor(_ parameter: AlignmentParameter) -> Tensor { parameters[parameter.name]! }
        inputWeight = tensor(.inputWeight)
        inputBias = tensor(.inputBias)
        forwardWeight = tensor(.forwardWeight)
        forwardBias = tensor(.forwardBias)
        backwardWeight = tensor(.backwardWeight)
        backwardBias = tensor(.backwardBias)
    }

    /// Every intermediate of a packed batch (N rows).
    struct Activations {
        /// e `[N, h]`.
        let input: FloatBuffer
        /// h^f `[N, h]`.
        let forward: FloatBuffer
        /// h^b `[N, h]`.
        let backward: FloatBuffer
    }

    /// h^f and h^b of every word, from the word vectors x `[N, E]`.
    func forward(_ packed: PackedSentences, words: UnsafePointer<Float>) -> Activations {
        let n = packed.rowCount, e = wordSize, h = hiddenSize
        let activations = Activations(input: FloatBuffer(count: n * h, zeroed: false),
                                      forward: FloatBuffer(count: n * h, zeroed: false),
                                      backward: FloatBuffer(count: n * h, zeroed: false))
        let input = activations.input.pointer
        withBaseAddresses([inputWeight.data, inputBias.data, forwardWeight.data, forwardBias.data,
                           backwardWeight.data, backwardBias.data]) { p in
            let (wE, bE, wF, bF, wB, bB) = (p[0], p[1], p[2], p[3], p[4], p[5])
            // e = ReLU(x W_eᵀ + b_e), all words at once.
            BLAS.gemm(transB: true, m: n, n: h, k: e, a: words, lda: e, b: wE, ldb: e,
                      c: input, ldc: h, workers: Parallel.workers)
            RowKernels.addRowVector(bE, to: input, rowCount: n, width: h)
            RowKernels.relu(input, count: n * h)
            // The two directions only share e: one core each.
            Parallel.forEach(2) { direction in
                if direction == 0 {
                    recur(packed, input: input, weight: wF, bias: bF, states: activations.forward.pointer, reversed: false)
                } else {
                    recur(packed, input: input, weight: wB, bias: bB, states: activations.backward.pointer, reversed: true)
                }
            }
        }
        return activations
    }

    /// One direction of the recurrence over the packed rows: states_t = ReLU(e_t + W states_prev
    /// + b), where prev is t − 1 (forward) or t + 1 (backward). The sentences that have a word
    /// at prev are the first `activeCounts[prev]` rows of step t in either direction, because
    /// longer sentences come first.
    private func recur(_ packed: PackedSentences, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, states: UnsafeMutablePointer<Float>, reversed: Bool) {
        let h = hiddenSize
        let steps = reversed ? Array((0..<packed.maxLength).reversed()) : Array(0..<packed.maxLength)
        for t in steps {
            let first = packed.timeOffsets[t], count = packed.activeCounts[t]
            let current = states + first * h
            current.update(from: input + first * h, count: count * h)
            RowKernels.addRowVector(bias, to: current, rowCount: count, width: h)
            let previous = reversed ? t + 1 : t - 1
            if previous >= 0 && previous < packed.maxLength {
                let carried = min(count, packed.activeCounts[previous])
                BLAS.gemm(transB: true, m: carried, n: h, k: h, a: states + packed.timeOffsets[previous] * h, lda: h,
                          b: weight, ldb: h, beta: 1, c: current, ldc: h)
            }
            RowKernels.relu(current, count: count * h)
        }
    }

    /// Backpropagates ∂C/∂(h^f + h^b) (`stateGradient`, `[N, h]`, overwritten): the gradients
    /// of W_e, b_e, W_f, b_f, W_b, b_b, and ∂C/∂x `[N, E]`.
    func backward(_ packed: PackedSentences, _ activations: Activations, words: UnsafePointer<Float>,
                  stateGradient: FloatBuffer) -> (parameters: [AlignmentParameter: FloatBuffer], words: FloatBuffer) {
        let n = packed.rowCount, e = wordSize, h = hiddenSize
        let gradients: [AlignmentParameter: FloatBuffer] = [
            .inputWeight: FloatBuffer(count: h * e), .inputBias: FloatBuffer(count: h),
            .forwardWeight: FloatBuffer(count: h * h), .forwardBias: FloatBuffer(count: h),
            .backwardWeight: FloatBuffer(count: h * h), .backwardBias: FloatBuffer(count: h),
        ]
        guard n > 0 else { return (gradients, FloatBuffer(count: 0)) }
        let g = gradients.mapValues(\.pointer)
        let backwardDelta = FloatBuffer(count: n * h, zeroed: false)
        let wordDelta = FloatBuffer(count: n * e, zeroed: false)
        withBaseAddresses([inputWeight.data, forwardWeight.data, backwardWeight.data]) { p in
            let (wE, wF, wB) = (p[0], p[1], p[2])
            // ∂C/∂(h^f + h^b) reaches both directions unchanged; each runs back through time on
            // its own core. stateGradient becomes the forward direction's, backwardDelta the other's.
            backwardDelta.pointer.update(from: stateGradient.pointer, count: n * h)
            Parallel.forEach(2) { direction in
                if direction == 0 {
                    backpropagateThroughTime(packed, delta: stateGradient.pointer, states: activations.forward.pointer,
                                             weight: wF, weightGradient: g[.forwardWeight]!, reversed: false)
                    RowKernels.addColumnSums(of: stateGradient.pointer, rowCount: n, width: h, into: g[.forwardBias]!)
                } else {
                    backpropagateThroughTime(packed, delta: backwardDelta.pointer, states: activations.backward.pointer,
                                             weight: wB, weightGradient: g[.backwardWeight]!, reversed: true)
                    RowKernels.addColumnSums(of: backwardDelta.pointer, rowCount: n, width: h, into: g[.backwardBias]!)
                }
            }
            // e_t feeds both directions: ∂C/∂e is the sum of their pre-activation gradients.
            let inputDelta = stateGradient.pointer
            RowKernels.add(backwardDelta.pointer, to: inputDelta, count: n * h)
            RowKernels.maskByActive(inputDelta, activation: activations.input.pointer, count: n * h)
            BLAS.gemm(transA: true, m: h, n: e, k: n, a: inputDelta, lda: h, b: words,
                      ldb: e, c: g[.inputWeight]!, ldc: e, workers: Parallel.workers)
            RowKernels.addColumnSums(of: inputDelta, rowCount: n, width: h, into: g[.inputBias]!)
            BLAS.gemm(m: n, n: e, k: h, a: inputDelta, lda: h, b: wE, ldb: e, c: wordDelta.pointer, ldc: e, workers: Parallel.workers)
        }
        return (gradients, wordDelta)
    }

    /// Backpropagation through one direction's recurrence. On entry `delta` holds ∂C/∂states
    /// from above; on return, ∂C/∂(pre-activation) of every step, with the recurrent terms
    /// W ᵀ·delta added along the way, and W's gradient accumulated into `weightGradient`.
    /// Steps run opposite to the forward pass, so each step's delta is complete when reached.
    private func backpropagateThroughTime(_ packed: PackedSentences, delta: UnsafeMutablePointer<Float>,
                                          states: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                          weightGradient: UnsafeMutablePointer<Float>, reversed: Bool) {
        let h = hiddenSize
        let steps = reversed ? Array(0..<packed.maxLength) : Array((0..<packed.maxLength).reversed())
        for t in steps {
            let first = packed.timeOffsets[t], count = packed.activeCounts[t]
            let current = delta + first * h
            RowKernels.maskByActive(current, activation: states + first * h, count: count * h)
            let previous = reversed ? t + 1 : t - 1
            guard previous >= 0 && previous < packed.maxLength else { continue }
            let carried = min(count, packed.activeCounts[previous])
            let previousRows = packed.timeOffsets[previous] * h
            // ∂C/∂states_prev += delta_t W ;  ∂C/∂W += delta_tᵀ states_prev.
            BLAS.gemm(m: carried, n: h, k: h, a: current, lda: h, b: weight, ldb: h,
                      beta: 1, c: delta + previousRows, ldc: h)
            BLAS.gemm(transA: true, m: h, n: h, k: carried, a: current, lda: h, b: states + previousRows, ldb: h,
                      beta: 1, c: weightGradient, ldc: h)
        }
    }
}
