import Foundation
import Tensors

/// Captioners of one shape (the same cell kind, sizes, vocabulary and features: the members of
/// one `CaptionModelFile`) decoding as one, with their weights packed for decoding. It computes
/// what ``CaptionEnsemble`` computes, the mean of the members' probabilities
///
///     log p(w) = log (1/M) Σ_m softmax(h_m · W_o,m + b_o,m)(w)      // one member: log softmax
///
/// with the members' states side by side in one ``RecurrentState`` (member m in columns
/// m·H..<(m+1)·H), so beam search, sampling and re-scoring run on it unchanged.
///
/// A step at a few rows is bound by reading the weights (three LSTM-512 members over 2540 words:
/// 41 MB a step in float32, 20 MB as the float16 panels of a shipped file), so everything serves
/// that one read:
/// - each gate weight `[E+H, G·H]` and output weight `[H, V]` is a ``PanelMatrix``, read once a
///   step in order, with no per-call re-packing;
/// - the gate columns are regrouped by blocks of 32 units, all gates of a block side by side: a
///   core that owns some blocks computes their gates for every member and applies the cell
///   right after, while they are still in cache, and the cores split the columns of each product
///   (`workers` of them: one when the caller already keeps every core busy);
/// - the mixture exponentiates each logit once (not log-softmax, then exp, then log).
///
/// This replaces the members' own copies of the weights (`CaptionModelFile.packForDecoding()`):
/// one copy of the model lives in memory. Attention members pack into ``FusedAttentionEnsemble``.
public struct FusedCaptionEnsemble: StepwiseDecoder {
    /// One member's weights, packed.
    struct Member: Sendable {
        /// W_e `// [V, E]`.
        var embedding: Tensor
        /// W_I `// [F, E]` and b_I `// [E]`; nil when text-only.
        var imageProjection: (weight: Tensor, bias: Tensor)?
        /// The cell's `[E+H, G·H]`, columns regrouped by `gateColumn`.
        var gates: PanelMatrix
        /// The cell's bias in the same column order, zero-padded `// [gates.paddedColumns]`.
        var gateBias: [Float]
        /// W_o `// [H, V]` and b_o.
        var output: EnsembleMixture.Layer
    }

    let members: [Member]
    public let cell: CellKind
    /// E, H, V.
    let inputSize: Int, hiddenSize: Int
    public let vocabularySize: Int
    /// Threads a step splits its products over.
    var workers = Parallel.workers

    /// Units whose gates sit together: block b holds gate q of units 32b..<32b+32 in its panel
    /// q (G panels of `PanelMatrix.width` = 32 columns), so the panels of a block are a whole
    /// step of the cell for those units.
    static let unitsPerBlock = PanelMatrix.width

    /// Packs `members` (one shape, as a `CaptionModelFile` holds them) and empties their
    /// `parameters` one by one as it goes, so that, when the caller held no other copy, the
    /// packed model replaces the loaded one without ever holding both.
    public init(packing models: inout [CaptionModel]) {
        guard let config = models.first?.config else { preconditionFailure("an ensemble needs at least one model") }
        precondition(models.allSatisfy { $0.config == config }, "fused ensemble members must share one config")
        let g = config.cell.gateCount, e = config.embeddingSize, h = config.hiddenSize
        var members: [Member] = []
        for index in models.indices {
            let parameters = models[index].parameters
            let kind = config.cell.rawValue
            let (gates, gateBias) = Self.packGates(parameters["\(kind).weight"]!, bias: parameters["\(kind).bias"]!,
                                                   hiddenSize: h, gateCount: g)
            let projection = config.textOnly ? nil : (weight: parameters[CaptionModel.imageProjectionWeightName]!,
                                                      bias: parameters[CaptionModel.imageProjectionBiasName]!)
            members.append(Member(embedding: parameters[CaptionModel.embedName]!, imageProjection: projection,
                                  gates: gates, gateBias: gateBias,
                                  output: EnsembleMixture.Layer(weight: parameters[CaptionModel.logitsWeightName]!,
                                                                bias: parameters[CaptionModel.logitsBiasName]!)))
            models[index].parameters = [:]
        }
        self.members = members
        cell = config.cell
        inputSize = e
        hiddenSize = h
        vocabularySize = config.vocabularySize
    }

    /// A cell's weight `[K, G·H]` packed with its columns regrouped (`gateColumn`), and its bias
    /// `[G·H]` in the same order, zero-padded.
    static func packGates(_ weight: Tensor, bias: Tensor, hiddenSize h: Int, gateCount g: Int) -> (PanelMatrix, [Float]) {
        let blocks = (h + unitsPerBlock - 1) / unitsPerBlock
        // Panel b·G + q: gate q of units 32b..<32b+32, columns q·H + 32b … of the cell's weight.
        let sources = (0..<(blocks * g)).map { panel in
            let (block, q) = (panel / g, panel % g)
            let first = block * unitsPerBlock
            return (q * h + first)..<(q * h + min(h, first + unitsPerBlock))
        }
        let gates = PanelMatrix(weight, panelColumns: sources)
        var gateBias = [Float](repeating: 0, count: gates.paddedColumns)
        for (panel, range) in sources.enumerated() {
            for (offset, column) in range.enumerated() { gateBias[panel * PanelMatrix.width + offset] = bias.data[column] }
        }
        return (gates, gateBias)
    }

    /// The LSTM cell (as `LSTMCell`) for `units` of one row, 8 units at a time, from the row's
    /// regrouped gate pre-activations (blocks of `unitsPerBlock` units, gates i, f, o, g side by
    /// side in each): c = f ⊙ c_prev + i ⊙ g, h = o ⊙ tanh c, written at unit j of `memory` and
    /// `hidden` (read at unit j of `previousMemory`).
    @inline(__always)
    static func lstm(_ units: Range<Int>, gates row: UnsafePointer<Float>, previousMemory: UnsafePointer<Float>,
                     memory: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>) {
        for j in stride(from: units.lowerBound, to: units.upperBound, by: 8) {
            let count = min(8, units.upperBound - j), gate = row + gateColumn(gate: 0, unit: j, gateCount: 4)
            let i = RowKernels.sigmoid(RowKernels.load(gate, count: count))
            let f = RowKernels.sigmoid(RowKernels.load(gate + unitsPerBlock, count: count))
            let o = RowKernels.sigmoid(RowKernels.load(gate + 2 * unitsPerBlock, count: count))
            let candidate = RowKernels.tanh(RowKernels.load(gate + 3 * unitsPerBlock, count: count))
            let c = f * RowKernels.load(previousMemory + j, count: count) + i * candidate
            RowKernels.store(c, memory + j, count: count)
            RowKernels.store(o * RowKernels.tanh(c), hidden + j, count: count)
        }
    }

    /// Where gate q of unit j sits among the regrouped gate columns: block j/32, then gate q,
    /// then unit j mod 32.
    static func gateColumn(gate q: Int, unit j: Int, gateCount g: Int) -> Int {
        (j / unitsPerBlock * g + q) * unitsPerBlock + j % unitsPerBlock
    }

    public func initialState(feature: Tensor?) -> RecurrentState {
        let width = members.count * hiddenSize
        guard let projection = members[0].imageProjection else {
            return RecurrentState.zeros(batch: 1, hiddenSize: width, hasMemory: cell.hasMemory)
        }
        guard let feature else { preconditionFailure("an image-conditioned model needs a feature vector") }
        let f = projection.weight.shape[0]
        let batch = feature.shape == [f] ? feature.reshaped([1, f]) : feature
        precondition(batch.shape.count == 2 && batch.shape[1] == f, "feature must be [\(f)] or [B, \(f)], got \(feature.shape)")
        // x₀ = v · W_I + b_I per member, read into a zero state; that step's output is never scored.
        let inputs = members.map { BatchMath.affine(batch, $0.imageProjection!.weight, $0.imageProjection!.bias) }
        let zero = RecurrentState.zeros(batch: batch.shape[0], hiddenSize: width, hasMemory: cell.hasMemory)
        return advance(zero) { m, row, x in
            inputs[m].data.withUnsafeBufferPointer { x.update(from: $0.baseAddress! + row * inputSize, count: inputSize) }
        }
    }

    public func step(_ state: RecurrentState, tokens: [Int]) -> (state: RecurrentState, logProbs: Tensor) {
        precondition(tokens.count == state.batchSize, "\(tokens.count) tokens for \(state.batchSize) state rows")
        precondition(tokens.allSatisfy { $0 >= 0 && $0 < vocabularySize }, "token id out of range")
        let next = advance(state) { m, row, x in
            members[m].embedding.data.withUnsafeBufferPointer { x.update(from: $0.baseAddress! + tokens[row] * inputSize, count: inputSize) }
        }
        return (next, EnsembleMixture.logProbabilities(next.hidden, layers: members.map(\.output),
                                                       vocabularySize: vocabularySize, workers: workers))
    }

    /// Splits each step over `Parallel.workers / shares` threads (at least one).
    public func sharingCores(_ shares: Int) -> FusedCaptionEnsemble {
        var copy = self
        copy.workers = max(1, Parallel.workers / max(1, shares))
        return copy
    }

    /// The cell step of every member: reads x of member m for row r (E values, which
    /// `input(m, r, x)` writes to x) into row r of the state. The workers split the unit blocks;
    /// each computes its blocks' gates for all members, then applies the cell to them.
    private func advance(_ state: RecurrentState, input: (Int, Int, UnsafeMutablePointer<Float>) -> Void) -> RecurrentState {
        let rows = state.batchSize, e = inputSize, h = hiddenSize, g = cell.gateCount, m = members.count
        precondition(state.hiddenSize == m * h && (state.memory != nil) == cell.hasMemory,
                     "state \(state.hidden.shape) does not fit \(m) members of \(h) units")
        let width = e + h, gateColumns = members[0].gates.paddedColumns
        // [x, h_prev] per member `[M][B, E+H]`; gate pre-activations `[M][B, G·H padded]`, twice
        // for the GRU (input side with bias, recurrent side alone).
        var stacked = [Float](repeating: 0, count: m * rows * width)
        for member in 0..<m {
            for r in 0..<rows {
                let row = (member * rows + r) * width
                stacked.withUnsafeMutableBufferPointer { s in
                    input(member, r, s.baseAddress! + row)
                    state.hidden.data.withUnsafeBufferPointer { hp in
                        (s.baseAddress! + row + e).update(from: hp.baseAddress! + r * m * h + member * h, count: h)
                    }
                }
            }
        }
        let sides = cell == .gru ? 2 : 1
        var preactivations = [Float](repeating: 0, count: sides * m * rows * gateColumns)
        for member in 0..<m {
            for r in 0..<rows {
                let offset = (member * rows + r) * gateColumns
                preactivations.replaceSubrange(offset..<(offset + gateColumns), with: members[member].gateBias)
            }
        }
        var hidden = [Float](repeating: 0, count: rows * m * h)
        var memory = [Float](repeating: 0, count: cell.hasMemory ? rows * m * h : 0)
        let blocks = (h + Self.unitsPerBlock - 1) / Self.unitsPerBlock
        let shares = min(workers, blocks)
        stacked.withUnsafeBufferPointer { xh in
        preactivations.withUnsafeMutableBufferPointer { a in
        hidden.withUnsafeMutableBufferPointer { hOut in
        memory.withUnsafeMutableBufferPointer { cOut in
        (state.memory?.data ?? []).withUnsafeBufferPointer { cIn in
            let cell = self.cell
            Parallel.forEach(shares) { share in
                let mine = Parallel.share(share, of: shares, blocks)
                let panels = (mine.lowerBound * g)..<(mine.upperBound * g)
                for member in 0..<m {
                    let x = xh.baseAddress! + member * rows * width
                    let pre = a.baseAddress! + member * rows * gateColumns
                    let gates = members[member].gates
                    if cell == .gru {
                        let recurrent = a.baseAddress! + (m + member) * rows * gateColumns
                        gates.multiply(x, lda: width, m: rows, kRange: 0..<e, panels: panels, into: pre, ldc: gateColumns)
                        gates.multiply(x + e, lda: width, m: rows, kRange: e..<width, panels: panels,
                                       into: recurrent, ldc: gateColumns)
                    } else {
                        gates.multiply(x, lda: width, m: rows, kRange: 0..<width, panels: panels, into: pre, ldc: gateColumns)
                    }
                    let units = (mine.lowerBound * Self.unitsPerBlock)..<min(h, mine.upperBound * Self.unitsPerBlock)
                    for r in 0..<rows {
                        let out = r * m * h + member * h
                        let row = pre + r * gateColumns
                        if cell == .lstm {
                            Self.lstm(units, gates: row, previousMemory: cIn.baseAddress! + out,
                                      memory: cOut.baseAddress! + out, hidden: hOut.baseAddress! + out)
                            continue
                        }
                        for j in units {
                            let column = { (q: Int) in Self.gateColumn(gate: q, unit: j, gateCount: g) }
                            switch cell {
                            case .lstm:
                                preconditionFailure("stepped 8 units at a time above")
                            case .gru:
                                // As `GRUCell`: r, z, n; the reset gate scales the recurrent candidate only.
                                let recurrent = a.baseAddress! + ((m + member) * rows + r) * gateColumns
                                let reset = BatchMath.sigmoid(row[column(0)] + recurrent[column(0)])
                                let update = BatchMath.sigmoid(row[column(1)] + recurrent[column(1)])
                                let candidate = BatchMath.tanh(row[column(2)] + reset * recurrent[column(2)])
                                hOut[out + j] = (1 - update) * candidate + update * x[r * width + e + j]
                            case .rnn:
                                hOut[out + j] = BatchMath.tanh(row[column(0)])
                            }
                        }
                    }
                }
            }
        }}}}}
        return RecurrentState(hidden: Tensor(shape: [rows, m * h], data: hidden),
                              memory: cell.hasMemory ? Tensor(shape: [rows, m * h], data: memory) : nil)
    }
}
