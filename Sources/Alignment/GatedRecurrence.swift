import Tensors

/// A bidirectional GRU or LSTM (`SentenceEncoderKind.gru`, `.lstm`): a gated cell of width h
/// reads the word vectors left to right, another right to left.
///
///     h^f_t = Cell_f(x_t, h^f_{t−1})      h^f_{−1} = 0 (and c^f_{−1} = 0)
///     h^b_t = Cell_b(x_t, h^b_{t+1})      h^b_T = 0    (and c^b_T = 0)
///
/// Each cell's gate pre-activations are a = W_x x_t + W_h h_prev + b with W_x `[G·h, E]`,
/// W_h `[G·h, h]`, b `[G·h]` (`GatedCellKernels` has the pointwise math). Over a packed batch
/// (`PackedSentences`), the input side W_x x of all N words is one GEMM per direction, and
/// each step one GEMM W_h h_prev over the sentences still running; the two directions run on
/// separate cores.
struct GatedRecurrence: Sendable {
    /// `.gru` or `.lstm`.
    let kind: SentenceEncoderKind
    /// The left-to-right and right-to-left cells.
    let forwardCell: Cell, backwardCell: Cell

    /// One direction's weights.
    struct Cell: Sendable {
        /// W_x `[G·h, E]`, W_h `[G·h, h]`, b `[G·h]`.
        let inputWeight: Tensor, hiddenWeight: Tensor, bias: Tensor
        /// Whether it runs right to left (h_prev is the state at t + 1).
        let reversed: Bool
        /// The names of its tensors: W_x, W_h, b.
        let names: (inputWeight: AlignmentParameter, hiddenWeight: AlignmentParameter, bias: AlignmentParameter)
    }

    var wordSize: Int { forwardCell.inputWeight.shape[1] }
    var hiddenSize: Int { forwardCell.hiddenWeight.shape[1] }

    /// Takes the gated encoder's `sentence.*` tensors, whose names and shapes `AlignmentModel`
    /// has checked.
    init(kind: SentenceEncoderKind, parameters: [String: Tensor]) {
        precondition(kind == .gru || kind == .lstm, "a gated recurrence is a GRU or an LSTM, not \(kind)")
        func cell(_ names: (AlignmentParameter, AlignmentParameter, AlignmentParameter), reversed: Bool) -> Cell {
            Cell(inputWeight: parameters[names.0.name]!, hiddenWeight: parameters[names.1.name]!,
                 bias: parameters[names.2.name]!, reversed: reversed, names: names)
        }
        self.kind = kind
        forwardCell = cell((.forwardInputWeight, .forwardHiddenWeight, .forwardBias), reversed: false)
        backwardCell = cell((.backwardInputWeight, .backwardHiddenWeight, .backwardBias), reversed: true)
    }

    /// What one direction's forward pass leaves for its backward pass, row-aligned with the
    /// packed batch (N rows).
    struct DirectionActivations {
        /// h `[N, h]`: the direction's output.
        let states: FloatBuffer
        /// h_prev of each row `[N, h]`, zero where the sentence has no word before (after, for
        /// the backward direction).
        let previousStates: FloatBuffer
        /// The activated gates `[N, G·h]`: GRU [r, z, n], LSTM [i, f, o, g].
        let gates: FloatBuffer
        /// GRU: W_h h_prev `[N, 3h]`, kept apart because the reset gate scales part of it.
        let hiddenProducts: FloatBuffer?
        /// LSTM: c `[N, h]`, c_prev `[N, h]` (zero where none) and tanh c `[N, h]`.
        let memory: FloatBuffer?, previousMemory: FloatBuffer?, squashedMemory: FloatBuffer?
    }

    struct Activations {
        let forward: DirectionActivations
        let backward: DirectionActivations
    }

    /// h^f and h^b of every word, from the word vectors x `[N, E]`.
    func forward(_ packed: PackedSentences, words: UnsafePointer<Float>) -> Activations {
        var directions = [DirectionActivations?](repeating: nil, count: 2)
        directions.withUnsafeMutableBufferPointer { results in
            Parallel.forEach(2) { direction in
                results[direction] = run(direction == 0 ? forwardCell : backwardCell, packed, words: words)
            }
        }
        return Activations(forward: directions[0]!, backward: directions[1]!)
    }

    /// One direction over every step, on the calling thread.
    private func run(_ cell: Cell, _ packed: PackedSentences, words: UnsafePointer<Float>) -> DirectionActivations {
        let n = packed.rowCount, e = wordSize, h = hiddenSize, g = kind.gateCount * h
        let isGRU = kind == .gru
        let activations = DirectionActivations(
            states: FloatBuffer(count: n * h, zeroed: false), previousStates: FloatBuffer(count: n * h),
            gates: FloatBuffer(count: n * g, zeroed: false), hiddenProducts: isGRU ? FloatBuffer(count: n * g) : nil,
            memory: isGRU ? nil : FloatBuffer(count: n * h, zeroed: false),
            previousMemory: isGRU ? nil : FloatBuffer(count: n * h),
            squashedMemory: isGRU ? nil : FloatBuffer(count: n * h, zeroed: false))
        let states = activations.states.pointer, previousStates = activations.previousStates.pointer
        let gates = activations.gates.pointer
        withBaseAddresses([cell.inputWeight.data, cell.hiddenWeight.data, cell.bias.data]) { p in
            let (inputWeight, hiddenWeight, bias) = (p[0], p[1], p[2])
            // a = x W_xᵀ + b for every word at once  [N, E] × [E, G·h].
            for row in 0..<n { (gates + row * g).update(from: bias, count: g) }
            BLAS.gemm(transB: true, m: n, n: g, k: e, a: words, lda: e, b: inputWeight, ldb: e, beta: 1, c: gates, ldc: g)
            let steps = cell.reversed ? Array((0..<packed.maxLength).reversed()) : Array(0..<packed.maxLength)
            for t in steps {
                let first = packed.timeOffsets[t], count = packed.activeCounts[t]
                // The sentences with a word at prev are the first rows of step t (longest first).
                let previous = cell.reversed ? t + 1 : t - 1
                if previous >= 0 && previous < packed.maxLength {
                    let carried = min(count, packed.activeCounts[previous])
                    let previousFirst = packed.timeOffsets[previous]
                    (previousStates + first * h).update(from: states + previousFirst * h, count: carried * h)
                    if let memory = activations.memory, let previousMemory = activations.previousMemory {
                        (previousMemory.pointer + first * h).update(from: memory.pointer + previousFirst * h, count: carried * h)
                    }
                    // GRU: u = h_prev W_hᵀ apart; LSTM: added into a.  [carried, h] × [h, G·h].
                    BLAS.gemm(transB: true, m: carried, n: g, k: h, a: previousStates + first * h, lda: h,
                              b: hiddenWeight, ldb: h, beta: isGRU ? 0 : 1,
                              c: (activations.hiddenProducts?.pointer ?? gates) + first * g, ldc: g)
                }
                if let hiddenProducts = activations.hiddenProducts {
                    GatedCellKernels.gruForward(rows: count, width: h, gates: gates + first * g,
                                                hiddenProducts: hiddenProducts.pointer + first * g,
                                                previous: previousStates + first * h, hidden: states + first * h)
                } else {
                    GatedCellKernels.lstmForward(rows: count, width: h, gates: gates + first * g,
                                                 previousMemory: activations.previousMemory!.pointer + first * h,
                                                 memory: activations.memory!.pointer + first * h,
                                                 squashedMemory: activations.squashedMemory!.pointer + first * h,
                                                 hidden: states + first * h)
                }
            }
        }
        return activations
    }

    /// Backpropagates ∂C/∂(h^f + h^b) (`stateGradient`, `[N, h]`, overwritten): the gradients
    /// of both cells' W_x, W_h, b, and ∂C/∂x `[N, E]`.
    func backward(_ packed: PackedSentences, _ activations: Activations, words: UnsafePointer<Float>,
                  stateGradient: FloatBuffer) -> (parameters: [AlignmentParameter: FloatBuffer], words: FloatBuffer) {
        let n = packed.rowCount, e = wordSize, h = hiddenSize, g = kind.gateCount * h
        var gradients: [AlignmentParameter: FloatBuffer] = [:]
        for cell in [forwardCell, backwardCell] {
            gradients[cell.names.inputWeight] = FloatBuffer(count: g * e)
            gradients[cell.names.hiddenWeight] = FloatBuffer(count: g * h)
            gradients[cell.names.bias] = FloatBuffer(count: g)
        }
        guard n > 0 else { return (gradients, FloatBuffer(count: 0)) }
        // ∂C/∂(h^f + h^b) reaches both directions unchanged: stateGradient becomes the forward
        // direction's, a copy the backward direction's.
        let backwardStateGradient = FloatBuffer(count: n * h, zeroed: false)
        backwardStateGradient.pointer.update(from: stateGradient.pointer, count: n * h)
        let gateGradients = [FloatBuffer(count: n * g, zeroed: false), FloatBuffer(count: n * g, zeroed: false)]
        let pointers = gradients.mapValues(\.pointer)
        Parallel.forEach(2) { direction in
            let cell = direction == 0 ? forwardCell : backwardCell
            backpropagate(cell, packed, direction == 0 ? activations.forward : activations.backward, words: words,
                          stateGradient: (direction == 0 ? stateGradient : backwardStateGradient).pointer,
                          gateGradient: gateGradients[direction].pointer,
                          inputWeightGradient: pointers[cell.names.inputWeight]!,
                          hiddenWeightGradient: pointers[cell.names.hiddenWeight]!,
                          biasGradient: pointers[cell.names.bias]!)
        }
        // x_t feeds both cells: ∂C/∂x = ∂C/∂a^f W_x^f + ∂C/∂a^b W_x^b   [N, G·h] × [G·h, E].
        let wordGradient = FloatBuffer(count: n * e, zeroed: false)
        withBaseAddresses([forwardCell.inputWeight.data, backwardCell.inputWeight.data]) { p in
            for direction in 0..<2 {
                BLAS.gemm(m: n, n: e, k: g, a: gateGradients[direction].pointer, lda: g, b: p[direction], ldb: e,
                          beta: direction == 0 ? 0 : 1, c: wordGradient.pointer, ldc: e, workers: Parallel.workers)
            }
        }
        return (gradients, wordGradient)
    }

    /// Backpropagation through one direction, on the calling thread. On entry `stateGradient`
    /// holds ∂C/∂h from above (it is used up); `gateGradient` receives ∂C/∂a `[N, G·h]`. Steps
    /// run opposite to the forward pass, so each step's ∂C/∂h (and ∂C/∂c) is complete when
    /// reached; the weight gradients are then one GEMM each over all N rows.
    private func backpropagate(_ cell: Cell, _ packed: PackedSentences, _ activations: DirectionActivations,
                               words: UnsafePointer<Float>, stateGradient: UnsafeMutablePointer<Float>,
                               gateGradient: UnsafeMutablePointer<Float>,
                               inputWeightGradient: UnsafeMutablePointer<Float>,
                               hiddenWeightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>) {
        let n = packed.rowCount, e = wordSize, h = hiddenSize, g = kind.gateCount * h
        let gates = activations.gates.pointer, previousStates = activations.previousStates.pointer
        // GRU: ∂C/∂u `[N, 3h]` and the direct part of ∂C/∂h_prev of one step. LSTM: ∂C/∂c `[N, h]`.
        let hiddenProductGradient = activations.hiddenProducts.map { _ in FloatBuffer(count: n * g, zeroed: false) }
        let directPrevious = activations.hiddenProducts.map { _ in FloatBuffer(count: (packed.activeCounts.first ?? 0) * h, zeroed: false) }
        let memoryGradient = activations.memory.map { _ in FloatBuffer(count: n * h) }
        // The gradient that flows through W_h: ∂C/∂u for the GRU, ∂C/∂a itself for the LSTM.
        let recurrentGradient = hiddenProductGradient?.pointer ?? gateGradient
        withBaseAddresses([cell.hiddenWeight.data]) { p in
            let hiddenWeight = p[0]
            let steps = cell.reversed ? Array(0..<packed.maxLength) : Array((0..<packed.maxLength).reversed())
            for t in steps {
                let first = packed.timeOffsets[t], count = packed.activeCounts[t]
                if let hiddenProducts = activations.hiddenProducts {
                    GatedCellKernels.gruBackward(rows: count, width: h, gates: gates + first * g,
                                                 hiddenProducts: hiddenProducts.pointer + first * g,
                                                 previous: previousStates + first * h, hiddenGradient: stateGradient + first * h,
                                                 gateGradient: gateGradient + first * g,
                                                 hiddenProductGradient: recurrentGradient + first * g,
                                                 previousGradient: directPrevious!.pointer)
                } else {
                    GatedCellKernels.lstmBackward(rows: count, width: h, gates: gates + first * g,
                                                  previousMemory: activations.previousMemory!.pointer + first * h,
                                                  squashedMemory: activations.squashedMemory!.pointer + first * h,
                                                  hiddenGradient: stateGradient + first * h,
                                                  memoryGradient: memoryGradient!.pointer + first * h,
                                                  gateGradient: gateGradient + first * g)
                }
                let previous = cell.reversed ? t + 1 : t - 1
                guard previous >= 0 && previous < packed.maxLength else { continue }
                let carried = min(count, packed.activeCounts[previous])
                let previousFirst = packed.timeOffsets[previous]
                if let directPrevious {
                    RowKernels.add(directPrevious.pointer, to: stateGradient + previousFirst * h, count: carried * h)
                }
                if let memoryGradient {
                    RowKernels.add(memoryGradient.pointer + first * h, to: memoryGradient.pointer + previousFirst * h,
                                   count: carried * h)
                }
                // ∂C/∂h_prev += ∂C/∂(W_h h_prev) W_h   [carried, G·h] × [G·h, h].
                BLAS.gemm(m: carried, n: h, k: g, a: recurrentGradient + first * g, lda: g, b: hiddenWeight, ldb: h,
                          beta: 1, c: stateGradient + previousFirst * h, ldc: h)
            }
        }
        // ∂C/∂W_x = (∂C/∂a)ᵀ x,  ∂C/∂W_h = (∂C/∂(W_h h_prev))ᵀ h_prev,  ∂C/∂b = Σ_rows ∂C/∂a.
        BLAS.gemm(transA: true, m: g, n: e, k: n, a: gateGradient, lda: g, b: words, ldb: e,
                  c: inputWeightGradient, ldc: e)
        BLAS.gemm(transA: true, m: g, n: h, k: n, a: recurrentGradient, lda: g, b: previousStates, ldb: h,
                  c: hiddenWeightGradient, ldc: h)
        RowKernels.addColumnSums(of: gateGradient, rowCount: n, width: g, into: biasGradient)
    }
}
