import Tensors

/// The bidirectional recurrent network (BRNN) that turns a sentence of T word ids into T word
/// vectors in the h-dimensional space the image regions are mapped into (paper eq. 2–6):
///
///     x_t   = W_w 𝕀_t                                  [E]   row of the embedding [V, E]
///     e_t   = ReLU(W_e x_t + b_e)                      [h]   W_e [h, E]
///     h^f_t = ReLU(e_t + W_f h^f_{t−1} + b_f)          [h]   h^f_{−1} = 0, W_f [h, h]
///     h^b_t = ReLU(e_t + W_b h^b_{t+1} + b_b)          [h]   h^b_T = 0,    W_b [h, h]
///     s_t   = ReLU(W_d (h^f_t + h^b_t) + b_d)          [h]   W_d [h, h]
///
/// so each s_t sees the word itself and its whole left and right context. Sentences are word
/// ids without `<start>`/`<end>`; any id in 0..<V is a word (`<unk>` included).
///
/// A batch is computed packed (`PackedSentences`): every row-wise layer is one GEMM over all
/// ΣT words, and each recurrence step one GEMM over the sentences still running, with the
/// forward and backward directions on separate cores.
public struct SentenceEncoder: Sendable {
    /// W_w `[V, E]`.
    public let embedding: Tensor
    /// W_e `[h, E]`, b_e `[h]`.
    public let inputWeight: Tensor, inputBias: Tensor
    /// W_f `[h, h]`, b_f `[h]`.
    public let forwardWeight: Tensor, forwardBias: Tensor
    /// W_b `[h, h]`, b_b `[h]`.
    public let backwardWeight: Tensor, backwardBias: Tensor
    /// W_d `[h, h]`, b_d `[h]`.
    public let outputWeight: Tensor, outputBias: Tensor

    /// V.
    public var vocabularySize: Int { embedding.shape[0] }
    /// E.
    public var wordSize: Int { embedding.shape[1] }
    /// h.
    public var hiddenSize: Int { inputWeight.shape[0] }

    /// Takes the `words.*` and `sentence.*` tensors of an alignment parameter dictionary, whose
    /// names and shapes `AlignmentModel` has checked.
    init(parameters: [String: Tensor]) {
        func tensor(_ parameter: AlignmentParameter) -> Tensor { parameters[parameter.name]! }
        embedding = tensor(.wordEmbedding)
        inputWeight = tensor(.inputWeight)
        inputBias = tensor(.inputBias)
        forwardWeight = tensor(.forwardWeight)
        forwardBias = tensor(.forwardBias)
        backwardWeight = tensor(.backwardWeight)
        backwardBias = tensor(.backwardBias)
        outputWeight = tensor(.outputWeight)
        outputBias = tensor(.outputBias)
    }

    /// s for each sentence: `[T, h]` per sentence (T may be 0).
    public func callAsFunction(_ sentences: [[Int]]) -> [Tensor] {
        let packed = PackedSentences(sentences)
        let activations = forward(packed)
        let h = hiddenSize
        return sentences.indices.map { sentence in
            let rows = packed.rows(ofSentence: sentence)
            let data = [Float](unsafeUninitializedCapacity: rows.count * h) { target, count in
                for (t, row) in rows.enumerated() {
                    (target.baseAddress! + t * h).initialize(from: activations.output.pointer + row * h, count: h)
                }
                count = rows.count * h
            }
            return Tensor(shape: [rows.count, h], data: data)
        }
    }

    /// Every intermediate of a packed batch, row-aligned with `packed` (N = ΣT rows).
    struct Activations {
        let packed: PackedSentences
        /// x `[N, E]`.
        let words: FloatBuffer
        /// e `[N, h]`.
        let input: FloatBuffer
        /// h^f `[N, h]`.
        let forward: FloatBuffer
        /// h^b `[N, h]`.
        let backward: FloatBuffer
        /// h^f + h^b `[N, h]`.
        let summed: FloatBuffer
        /// s `[N, h]`.
        let output: FloatBuffer
    }

    func forward(_ packed: PackedSentences) -> Activations {
        let n = packed.rowCount, e = wordSize, h = hiddenSize, vocabulary = vocabularySize
        let words = FloatBuffer(count: n * e, zeroed: false)
        let input = FloatBuffer(count: n * h, zeroed: false)
        let forwardStates = FloatBuffer(count: n * h, zeroed: false)
        let backwardStates = FloatBuffer(count: n * h, zeroed: false)
        let summed = FloatBuffer(count: n * h, zeroed: false)
        let output = FloatBuffer(count: n * h, zeroed: false)
        let activations = Activations(packed: packed, words: words, input: input, forward: forwardStates,
                                      backward: backwardStates, summed: summed, output: output)
        guard n > 0 else { return activations }
        withBaseAddresses([embedding.data, inputWeight.data, inputBias.data, forwardWeight.data, forwardBias.data,
                           backwardWeight.data, backwardBias.data, outputWeight.data, outputBias.data]) { p in
            let (wordTable, wE, bE, wF, bF, wB, bB, wD, bD) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8])
            // x_t = W_w 𝕀_t: a row gather.
            for (row, token) in packed.tokens.enumerated() {
                precondition(token >= 0 && token < vocabulary, "word id \(token) outside the vocabulary of \(vocabulary)")
                (words.pointer + row * e).update(from: wordTable + token * e, count: e)
            }
            // e = ReLU(x W_eᵀ + b_e), all words at once.
            BLAS.gemm(transB: true, m: n, n: h, k: e, a: words.pointer, lda: e, b: wE, ldb: e,
                             c: input.pointer, ldc: h, workers: Parallel.workers)
            RowKernels.addRowVector(bE, to: input.pointer, rowCount: n, width: h)
            RowKernels.relu(input.pointer, count: n * h)
            // The two directions only share e: one core each.
            Parallel.forEach(2) { direction in
                if direction == 0 {
                    recur(packed, input: input.pointer, weight: wF, bias: bF, states: forwardStates.pointer, reversed: false)
                } else {
                    recur(packed, input: input.pointer, weight: wB, bias: bB, states: backwardStates.pointer, reversed: true)
                }
            }
            summed.pointer.update(from: forwardStates.pointer, count: n * h)
            RowKernels.add(backwardStates.pointer, to: summed.pointer, count: n * h)
            // s = ReLU((h^f + h^b) W_dᵀ + b_d).
            BLAS.gemm(transB: true, m: n, n: h, k: h, a: summed.pointer, lda: h, b: wD, ldb: h,
                             c: output.pointer, ldc: h, workers: Parallel.workers)
            RowKernels.addRowVector(bD, to: output.pointer, rowCount: n, width: h)
            RowKernels.relu(output.pointer, count: n * h)
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

    /// Backpropagates ∂C/∂s (`outputGradient`, `[N, h]`, overwritten) through the BRNN: the
    /// gradients of the nine word-side tensors, dense (the embedding's only in used rows).
    func backward(_ activations: Activations, outputGradient: FloatBuffer) -> [AlignmentParameter: FloatBuffer] {
        let packed = activations.packed
        let n = packed.rowCount, e = wordSize, h = hiddenSize
        var gradients: [AlignmentParameter: FloatBuffer] = [:]
        for parameter in AlignmentParameter.allCases where parameter != .regionWeight && parameter != .regionBias {
            let shape: [Int]
            switch parameter {
            case .wordEmbedding: shape = embedding.shape
            case .inputWeight: shape = inputWeight.shape
            case .forwardWeight, .backwardWeight, .outputWeight: shape = [h, h]
            default: shape = [h]
            }
            gradients[parameter] = FloatBuffer(count: shape.reduce(1, *))
        }
        guard n > 0 else { return gradients }
        let g = gradients.mapValues(\.pointer)
        let outputDelta = outputGradient.pointer
        let summedDelta = FloatBuffer(count: n * h, zeroed: false)
        let backwardDelta = FloatBuffer(count: n * h, zeroed: false)
        let wordDelta = FloatBuffer(count: n * e, zeroed: false)
        withBaseAddresses([inputWeight.data, forwardWeight.data, backwardWeight.data, outputWeight.data]) { p in
            let (wE, wF, wB, wD) = (p[0], p[1], p[2], p[3])
            // Through s = ReLU(W_d (h^f + h^b) + b_d).
            RowKernels.maskByActive(outputDelta, activation: activations.output.pointer, count: n * h)
            BLAS.gemm(transA: true, m: h, n: h, k: n, a: outputDelta, lda: h, b: activations.summed.pointer,
                             ldb: h, c: g[.outputWeight]!, ldc: h, workers: Parallel.workers)
            RowKernels.addColumnSums(of: outputDelta, rowCount: n, width: h, into: g[.outputBias]!)
            BLAS.gemm(m: n, n: h, k: h, a: outputDelta, lda: h, b: wD, ldb: h, c: summedDelta.pointer, ldc: h, workers: Parallel.workers)
            // ∂C/∂(h^f + h^b) reaches both directions unchanged; each runs back through time on
            // its own core. summedDelta becomes the forward direction's, backwardDelta the other's.
            backwardDelta.pointer.update(from: summedDelta.pointer, count: n * h)
            Parallel.forEach(2) { direction in
                if direction == 0 {
                    backpropagateThroughTime(packed, delta: summedDelta.pointer, states: activations.forward.pointer,
                                             weight: wF, weightGradient: g[.forwardWeight]!, reversed: false)
                    RowKernels.addColumnSums(of: summedDelta.pointer, rowCount: n, width: h, into: g[.forwardBias]!)
                } else {
                    backpropagateThroughTime(packed, delta: backwardDelta.pointer, states: activations.backward.pointer,
                                             weight: wB, weightGradient: g[.backwardWeight]!, reversed: true)
                    RowKernels.addColumnSums(of: backwardDelta.pointer, rowCount: n, width: h, into: g[.backwardBias]!)
                }
            }
            // e_t feeds both directions: ∂C/∂e is the sum of their pre-activation gradients.
            let inputDelta = summedDelta.pointer
            RowKernels.add(backwardDelta.pointer, to: inputDelta, count: n * h)
            RowKernels.maskByActive(inputDelta, activation: activations.input.pointer, count: n * h)
            BLAS.gemm(transA: true, m: h, n: e, k: n, a: inputDelta, lda: h, b: activations.words.pointer,
                             ldb: e, c: g[.inputWeight]!, ldc: e, workers: Parallel.workers)
            RowKernels.addColumnSums(of: inputDelta, rowCount: n, width: h, into: g[.inputBias]!)
            BLAS.gemm(m: n, n: e, k: h, a: inputDelta, lda: h, b: wE, ldb: e, c: wordDelta.pointer, ldc: e, workers: Parallel.workers)
            // x_t is a row of W_w: scatter-add, as a word can occur many times in a batch.
            let embeddingGradient = g[.wordEmbedding]!
            for (row, token) in packed.tokens.enumerated() {
                RowKernels.addScaled(1, wordDelta.pointer + row * e, to: embeddingGradient + token * e, count: e)
            }
        }
        return gradients
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
