import Tensors

/// The bidirectional network that turns a sentence of T word ids into T word vectors in the
/// h-dimensional space the image regions are mapped into (paper eq. 2–6):
///
///     x_t   = W_w 𝕀_t                                  [E]   row of the embedding [V, E]
///     h^f_t, h^b_t = the recurrent core                [h]   left and right context
///     s_t   = ReLU(W_d (h^f_t + h^b_t) + b_d)          [h]   W_d [h, h]
///
/// so each s_t sees the word itself and its whole left and right context. The recurrent core is
/// `AlignmentConfig.sentenceEncoder`: the paper's ReLU BRNN (`ReLURecurrence`, eq. 3–5) or a
/// bidirectional GRU or LSTM (`GatedRecurrence`); the embedding and the output layer are the
/// same for all three. Sentences are word ids without `<start>`/`<end>`; any id in 0..<V is a
/// word (`<unk>` included).
///
/// A batch is computed packed (`PackedSentences`): every row-wise layer is one GEMM over all
/// ΣT words, and each recurrence step one GEMM over the sentences still running, with the
/// forward and backward directions on separate cores.
public struct SentenceEncoder: Sendable {
    /// Which recurrent core this is.
    public let kind: SentenceEncoderKind
    /// W_w `[V, E]`.
    public let embedding: Tensor
    /// W_d `[h, h]`, b_d `[h]`.
    public let outputWeight: Tensor, outputBias: Tensor
    let recurrence: Recurrence

    /// The recurrent core between the word vectors x and h^f, h^b.
    enum Recurrence: Sendable {
        case relu(ReLURecurrence)
        case gated(GatedRecurrence)
    }

    /// V.
    public var vocabularySize: Int { embedding.shape[0] }
    /// E.
    public var wordSize: Int { embedding.shape[1] }
    /// h.
    public var hiddenSize: Int { outputWeight.shape[0] }

    /// Takes the `words.*` and `sentence.*` tensors of an alignment parameter dictionary, whose
    /// names and shapes `AlignmentModel` has checked against `config`.
    init(config: AlignmentConfig, parameters: [String: Tensor]) {
        kind = config.sentenceEncoder
        embedding = parameters[AlignmentParameter.wordEmbedding.name]!
        outputWeight = parameters[AlignmentParameter.outputWeight.name]!
        outputBias = parameters[AlignmentParameter.outputBias.name]!
        switch kind {
        case .brnn: recurrence = .relu(ReLURecurrence(parameters: parameters))
        case .gru, .lstm: recurrence = .gated(GatedRecurrence(kind: kind, parameters: parameters))
        }
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
        /// What the recurrent core computed, h^f and h^b among it.
        let recurrence: RecurrenceActivations
        /// h^f + h^b `[N, h]`.
        let summed: FloatBuffer
        /// s `[N, h]`.
        let output: FloatBuffer
    }

    /// The recurrent core's intermediates, of the same kind as `Recurrence`.
    enum RecurrenceActivations {
        case relu(ReLURecurrence.Activations)
        case gated(GatedRecurrence.Activations)

        /// h^f `[N, h]`.
        var forwardStates: FloatBuffer {
            switch self {
            case .relu(let activations): activations.forward
            case .gated(let activations): activations.forward.states
            }
        }
        /// h^b `[N, h]`.
        var backwardStates: FloatBuffer {
            switch self {
            case .relu(let activations): activations.backward
            case .gated(let activations): activations.backward.states
            }
        }
    }

    func forward(_ packed: PackedSentences) -> Activations {
        let n = packed.rowCount, e = wordSize, h = hiddenSize, vocabulary = vocabularySize
        let words = FloatBuffer(count: n * e, zeroed: false)
        // x_t = W_w 𝕀_t: a row gather.
        embedding.data.withUnsafeBufferPointer { wordTable in
            for (row, token) in packed.tokens.enumerated() {
                precondition(token >= 0 && token < vocabulary, "word id \(token) outside the vocabulary of \(vocabulary)")
                (words.pointer + row * e).update(from: wordTable.baseAddress! + token * e, count: e)
            }
        }
        let recurrent: RecurrenceActivations
        switch recurrence {
        case .relu(let core): recurrent = .relu(core.forward(packed, words: words.pointer))
        case .gated(let core): recurrent = .gated(core.forward(packed, words: words.pointer))
        }
        let summed = FloatBuffer(count: n * h, zeroed: false)
        let output = FloatBuffer(count: n * h, zeroed: false)
        summed.pointer.update(from: recurrent.forwardStates.pointer, count: n * h)
        RowKernels.add(recurrent.backwardStates.pointer, to: summed.pointer, count: n * h)
        // s = ReLU((h^f + h^b) W_dᵀ + b_d).
        withBaseAddresses([outputWeight.data, outputBias.data]) { p in
            BLAS.gemm(transB: true, m: n, n: h, k: h, a: summed.pointer, lda: h, b: p[0], ldb: h,
                      c: output.pointer, ldc: h, workers: Parallel.workers)
            RowKernels.addRowVector(p[1], to: output.pointer, rowCount: n, width: h)
        }
        RowKernels.relu(output.pointer, count: n * h)
        return Activations(packed: packed, words: words, recurrence: recurrent, summed: summed, output: output)
    }

    /// Backpropagates ∂C/∂s (`outputGradient`, `[N, h]`, overwritten) through the encoder: the
    /// gradients of every word-side tensor of this kind (`AlignmentParameter.all(for:)` less the
    /// region's), dense (the embedding's only in used rows).
    func backward(_ activations: Activations, outputGradient: FloatBuffer) -> [AlignmentParameter: FloatBuffer] {
        let packed = activations.packed
        let n = packed.rowCount, e = wordSize, h = hiddenSize
        var gradients: [AlignmentParameter: FloatBuffer] = [
            .wordEmbedding: FloatBuffer(count: embedding.count),
            .outputWeight: FloatBuffer(count: h * h), .outputBias: FloatBuffer(count: h),
        ]
        let summedDelta = FloatBuffer(count: n * h, zeroed: false)
        if n > 0 {
            // Through s = ReLU(W_d (h^f + h^b) + b_d).
            let outputDelta = outputGradient.pointer
            RowKernels.maskByActive(outputDelta, activation: activations.output.pointer, count: n * h)
            BLAS.gemm(transA: true, m: h, n: h, k: n, a: outputDelta, lda: h, b: activations.summed.pointer,
                      ldb: h, c: gradients[.outputWeight]!.pointer, ldc: h, workers: Parallel.workers)
            RowKernels.addColumnSums(of: outputDelta, rowCount: n, width: h, into: gradients[.outputBias]!.pointer)
            outputWeight.data.withUnsafeBufferPointer { wD in
                BLAS.gemm(m: n, n: h, k: h, a: outputDelta, lda: h, b: wD.baseAddress!, ldb: h, c: summedDelta.pointer,
                          ldc: h, workers: Parallel.workers)
            }
        }
        // Through the recurrent core to x.
        let core: (parameters: [AlignmentParameter: FloatBuffer], words: FloatBuffer)
        switch (recurrence, activations.recurrence) {
        case let (.relu(recurrence), .relu(cache)):
            core = recurrence.backward(packed, cache, words: activations.words.pointer, stateGradient: summedDelta)
        case let (.gated(recurrence), .gated(cache)):
            core = recurrence.backward(packed, cache, words: activations.words.pointer, stateGradient: summedDelta)
        default:
            preconditionFailure("activations of a different sentence encoder")
        }
        gradients.merge(core.parameters) { _, new in new }
        // x_t is a row of W_w: scatter-add, as a word can occur many times in a batch.
        let embeddingGradient = gradients[.wordEmbedding]!.pointer
        for (row, token) in packed.tokens.enumerated() {
            RowKernels.addScaled(1, core.words.pointer + row * e, to: embeddingGradient + token * e, count: e)
        }
        return gradients
    }
}
