import Foundation
import Tensors

/// Show, Attend and Tell captioners (``AttentionDecoder``'s equations; one vocabulary and one
/// set of sizes E, H, F, A, each member on its own grid of L_m regions) decoding as one, with
/// their weights packed for decoding. It computes what ``CaptionEnsemble`` computes over the
/// same members, the mean of their probabilities, with the same state layout (member m's h and
/// c in columns m·H..<(m+1)·H, each member's regions and keys in `images`), so beam search,
/// sampling and re-scoring run on it unchanged.
///
/// A step at a few rows is bound by reading the weights (three members over 2540 words: 33 MB
/// of float16 a step), so each product is one pass over a ``PanelMatrix`` for all rows, split
/// over the cores by panels, every member in the same pass:
///
///     [q, g]_m = h_m · W_q,m                                  queries      [B, H] × [H, A + F]
///     ẑ_m = attention(q, g; a_m)                                (`SoftAttention`, per member and row)
///     h_m, c_m = LSTM([x_m, ẑ_m, h_m] · W_lstm,m + b)           gates        [B, E+F+H] × [E+F+H, 4H]
///     u_m = tanh(x_m + [h_m, ẑ_m] · [L_h; L_z]_m)               deep output  [B, H+F] × [H+F, E]
///     log p = log (1/M) Σ_m softmax(u_m · W_o,m + b_o,m)        (`EnsembleMixture`)
///
/// The gate columns are regrouped by blocks of 32 units as in ``FusedCaptionEnsemble``, so the
/// core that computes a block's gates applies the cell to them while they are in cache.
public struct FusedAttentionEnsemble: StepwiseDecoder {
    /// One member's weights, packed.
    struct Member: Sendable {
        /// W_e `// [V, E]`.
        var embedding: Tensor
        /// L.
        var regionCount: Int
        /// W_a `// [F, A]` and b_a: read once per image, for all L regions at once, where BLAS
        /// multiplies fastest (L = 196 rows).
        var keys: Tensor, keysBias: Tensor
        /// W_init `// [F, 2H]` and b_init, zero-padded.
        var initial: PanelMatrix, initialBias: [Float]
        /// W_q `// [H, A + F]`.
        var queries: PanelMatrix
        /// w `// [A]` and b_g `// [F]`.
        var score: [Float], attentionGateBias: [Float]
        /// The LSTM's `[E+F+H, 4H]`, columns regrouped (`FusedCaptionEnsemble.gateColumn`), and its bias.
        var gates: PanelMatrix, gateBias: [Float]
        /// [L_h; L_z] `// [H+F, E]`.
        var deepOutput: PanelMatrix
        /// W_o `// [E, V]` and b_o.
        var output: EnsembleMixture.Layer
    }

    let members: [Member]
    /// Which columns of an image row member m reads (its L_m·F regions).
    let inputColumns: [Range<Int>]
    /// E, H, F, A.
    let embeddingSize: Int, hiddenSize: Int, featureSize: Int, attentionSize: Int
    public let vocabularySize: Int
    /// Threads a step splits its work over.
    var workers = Parallel.workers

    /// Whether `models` can be packed together: all attention LSTMs with one vocabulary size
    /// and one E, H, F and A (their grids may differ).
    public static func canPack(_ models: [CaptionModel]) -> Bool {
        guard let first = models.first?.config else { return false }
        return models.allSatisfy {
            $0.config.decoder == .attention && $0.config.cell == .lstm && !$0.config.textOnly
                && $0.config.vocabularySize == first.vocabularySize && $0.config.embeddingSize == first.embeddingSize
                && $0.config.hiddenSize == first.hiddenSize && $0.config.featureSize == first.featureSize
                && $0.config.attentionSize == first.attentionSize
        }
    }

    /// Packs `models` (`canPack`) and empties their `parameters` one by one as it goes, so the
    /// packed weights replace the loaded ones without ever holding both. Member m reads
    /// `inputColumns[m]` of an image row (nil: each reads the whole row).
    public init(packing models: inout [CaptionModel], inputColumns: [Range<Int>]?) {
        precondition(Self.canPack(models), "fused attention members must be attention LSTMs of one size")
        let config = models[0].config
        let e = config.embeddingSize, h = config.hiddenSize, f = config.featureSize, a = config.attentionSize
        var members: [Member] = []
        for index in models.indices {
            members.append(Self.pack(models[index].parameters, regionCount: models[index].config.regionCount, config: config))
            models[index].parameters = [:]
        }
        self.members = members
        self.inputColumns = inputColumns ?? members.map { 0..<($0.regionCount * f) }
        embeddingSize = e
        hiddenSize = h
        featureSize = f
        attentionSize = a
        vocabularySize = config.vocabularySize
    }

    /// One member's parameters, packed.
    private static func pack(_ p: [String: Tensor], regionCount: Int, config: CaptionModel.Config) -> Member {
        let e = config.embeddingSize, h = config.hiddenSize, f = config.featureSize
        func padded(_ bias: Tensor, _ matrix: PanelMatrix) -> [Float] {
            bias.data + [Float](repeating: 0, count: matrix.paddedColumns - bias.count)
        }
        let initial = PanelMatrix(p[CaptionModel.initialStateWeightName]!)
        let (gates, gateBias) = FusedCaptionEnsemble.packGates(p[LSTMCell.weightName]!, bias: p[LSTMCell.biasName]!,
                                                               hiddenSize: h, gateCount: 4)
        let deep = Tensor(shape: [h + f, e], data: p[CaptionModel.outputHiddenName]!.data + p[CaptionModel.outputContextName]!.data)
        return Member(
            embedding: p[CaptionModel.embedName]!, regionCount: regionCount,
            keys: p[CaptionModel.attentionKeysWeightName]!, keysBias: p[CaptionModel.attentionKeysBiasName]!,
            initial: initial, initialBias: padded(p[CaptionModel.initialStateBiasName]!, initial),
            queries: PanelMatrix(p[CaptionModel.attentionQueryWeightName]!),
            score: p[CaptionModel.attentionScoreName]!.data, attentionGateBias: p[CaptionModel.attentionGateBiasName]!.data,
            gates: gates, gateBias: gateBias, deepOutput: PanelMatrix(deep),
            output: EnsembleMixture.Layer(weight: p[CaptionModel.logitsWeightName]!, bias: p[CaptionModel.logitsBiasName]!))
    }

    /// Splits each step over `Parallel.workers / shares` threads (at least one).
    public func sharingCores(_ shares: Int) -> FusedAttentionEnsemble {
        var copy = self
        copy.workers = max(1, Parallel.workers / max(1, shares))
        return copy
    }

    /// Runs `body(i)` for i in 0..<count on up to `workers` threads.
    private func split(_ count: Int, _ body: (Int) -> Void) {
        if workers > 1 { Parallel.forEach(count, body) } else { for i in 0..<count { body(i) } }
    }

    /// C `// [rows, W.paddedColumns]` = A · W (+ C's initial values), over the cores by panels.
    private func multiply(_ matrix: PanelMatrix, _ a: UnsafePointer<Float>, lda: Int, rows: Int,
                          into c: UnsafeMutablePointer<Float>) {
        let shares = min(workers, matrix.panels)
        split(shares) { share in
            matrix.multiply(a, lda: lda, m: rows, kRange: 0..<matrix.rows,
                            panels: Parallel.share(share, of: shares, matrix.panels), into: c, ldc: matrix.paddedColumns)
        }
    }

    /// For B images (`feature` `// [Σ_m L_m·F]` or `[B, Σ_m L_m·F]`, each member's regions in
    /// its columns): [h₀, c₀] = tanh(ā · W_init + b_init) and the keys a · W_a + b_a of every
    /// member.
    public func initialState(feature: Tensor?) -> RecurrentState {
        guard let feature else { preconditionFailure("an attention decoder needs the image's regions") }
        let width = inputColumns.map(\.upperBound).max()!
        let batch = feature.shape.count == 1 ? feature.reshaped([1, feature.count]) : feature
        precondition(batch.shape.count == 2 && batch.shape[1] == width, "feature must be [\(width)] or [B, \(width)], got \(feature.shape)")
        let b = batch.shape[0], h = hiddenSize, f = featureSize, a = attentionSize, m = members.count
        var hidden = [Float](repeating: 0, count: b * m * h), memory = hidden
        var regions: [Tensor] = [], keys: [Tensor] = []
        for (index, member) in members.enumerated() {
            let l = member.regionCount
            let images = inputColumns.count == 1 && inputColumns[0] == 0..<width ? batch : batch.columns(inputColumns[index])
            var mean = [Float](repeating: 0, count: b * f)
            images.data.withUnsafeBufferPointer { p in
                mean.withUnsafeMutableBufferPointer {
                    SoftAttention.meanRegions(p.baseAddress!, images: b, regionCount: l, featureSize: f, into: $0.baseAddress!)
                }
            }
            let initialColumns = member.initial.paddedColumns
            var initial = [Float](repeating: 0, count: b * initialColumns)
            for row in 0..<b {
                initial.replaceSubrange((row * initialColumns)..<((row + 1) * initialColumns), with: member.initialBias)
            }
            mean.withUnsafeBufferPointer { p in
                initial.withUnsafeMutableBufferPointer { multiply(member.initial, p.baseAddress!, lda: f, rows: b, into: $0.baseAddress!) }
            }
            var key = [Float](repeating: 0, count: b * l * a)
            for row in 0..<(b * l) { key.replaceSubrange((row * a)..<((row + 1) * a), with: member.keysBias.data) }
            withBaseAddresses([images.data, member.keys.data]) { p in
                BLAS.gemm(m: b * l, n: a, k: f, a: p[0], lda: f, b: p[1], ldb: a, beta: 1, c: &key, ldc: a, workers: workers)
            }
            for row in 0..<b {
                for j in 0..<h {
                    hidden[row * m * h + index * h + j] = BatchMath.tanh(initial[row * initialColumns + j])
                    memory[row * m * h + index * h + j] = BatchMath.tanh(initial[row * initialColumns + h + j])
                }
            }
            regions.append(images.reshaped([b, l * f]))
            keys.append(Tensor(shape: [b, l * a], data: key))
        }
        return RecurrentState(hidden: Tensor(shape: [b, m * h], data: hidden), memory: Tensor(shape: [b, m * h], data: memory),
                              images: AttendedImages(regions: regions, keys: keys, imageOfRow: Array(0..<b)))
    }

    public func step(_ state: RecurrentState, tokens: [Int]) -> (state: RecurrentState, logProbs: Tensor) {
        let (next, outputs, _) = advance(state, tokens: tokens)
        return (next, EnsembleMixture.logProbabilities(outputs, layers: members.map(\.output),
                                                       vocabularySize: vocabularySize, workers: workers))
    }

    /// One step of every member: the next state, the deep outputs u `// [B, M·E]` and each
    /// member's attention α `// [B, L_m]`.
    func advance(_ state: RecurrentState, tokens: [Int]) -> (state: RecurrentState, outputs: Tensor, attention: [[Float]]) {
        let rows = state.batchSize, m = members.count
        let e = embeddingSize, h = hiddenSize, f = featureSize, a = attentionSize
        precondition(tokens.count == rows, "\(tokens.count) tokens for \(rows) state rows")
        precondition(tokens.allSatisfy { $0 >= 0 && $0 < vocabularySize }, "token id out of range")
        guard let images = state.images, let previousMemory = state.memory, images.regions.count == m,
              state.hiddenSize == m * h else {
            preconditionFailure("state \(state.hidden.shape) does not fit \(m) attention members of \(h) units")
        }
        let width = e + f + h, queryColumns = members[0].queries.paddedColumns
        let gateColumns = members[0].gates.paddedColumns, deepColumns = members[0].deepOutput.paddedColumns
        // Per member: [x, ẑ, h_prev] `[B, E+F+H]`, queries `[B, A+F padded]`, gates `[B, 4H padded]`,
        // [h, ẑ] `[B, H+F]` and u before the tanh `[B, E padded]`.
        var input = [Float](repeating: 0, count: m * rows * width)
        var queries = [Float](repeating: 0, count: m * rows * queryColumns)
        var preactivations = [Float](repeating: 0, count: m * rows * gateColumns)
        var deepInput = [Float](repeating: 0, count: m * rows * (h + f))
        var deep = [Float](repeating: 0, count: m * rows * deepColumns)
        var attention = members.map { [Float](repeating: 0, count: rows * $0.regionCount) }
        var context = [Float](repeating: 0, count: m * rows * f), gate = context
        var hidden = [Float](repeating: 0, count: rows * m * h), memory = hidden
        for member in 0..<m {
            members[member].embedding.data.withUnsafeBufferPointer { embedding in
                state.hidden.data.withUnsafeBufferPointer { hp in
                    input.withUnsafeMutableBufferPointer { x in
                        for r in 0..<rows {
                            let row = x.baseAddress! + (member * rows + r) * width
                            row.update(from: embedding.baseAddress! + tokens[r] * e, count: e)
                            (row + e + f).update(from: hp.baseAddress! + r * m * h + member * h, count: h)
                        }
                    }
                }
            }
            for r in 0..<rows {
                let offset = (member * rows + r) * gateColumns
                preactivations.replaceSubrange(offset..<(offset + gateColumns), with: members[member].gateBias)
                let x = (member * rows + r) * width, u = (member * rows + r) * deepColumns
                deep.replaceSubrange(u..<(u + e), with: input[x..<(x + e)])
            }
        }
        withBaseAddresses([state.hidden.data] + images.regions.map(\.data) + images.keys.map(\.data)) { p in
        input.withUnsafeMutableBufferPointer { x in
        queries.withUnsafeMutableBufferPointer { q in
        preactivations.withUnsafeMutableBufferPointer { pre in
        deepInput.withUnsafeMutableBufferPointer { deepIn in
        deep.withUnsafeMutableBufferPointer { u in
        context.withUnsafeMutableBufferPointer { z in
        gate.withUnsafeMutableBufferPointer { beta in
        hidden.withUnsafeMutableBufferPointer { hOut in
        memory.withUnsafeMutableBufferPointer { cOut in
        previousMemory.data.withUnsafeBufferPointer { cIn in
            let hPrev = p[0], regions = Array(p[1...m]), keys = Array(p[(m + 1)...(2 * m)])
            // [q, g] = h_prev · W_q, every member's panels split over the cores.
            let queryShares = min(workers, members[0].queries.panels)
            split(queryShares) { share in
                for member in 0..<m {
                    let matrix = members[member].queries
                    matrix.multiply(hPrev + member * h, lda: m * h, m: rows, kRange: 0..<h,
                                    panels: Parallel.share(share, of: queryShares, matrix.panels),
                                    into: q.baseAddress! + member * rows * queryColumns, ldc: queryColumns)
                }
            }
            // ẑ per member and row, written into [x, ẑ, h_prev]; the L·A tanh of a row dominates.
            let pairs = m * rows
            split(pairs) { pair in
                let (member, r) = (pair / rows, pair % rows)
                let l = members[member].regionCount, image = images.imageOfRow[r]
                members[member].score.withUnsafeBufferPointer { score in
                members[member].attentionGateBias.withUnsafeBufferPointer { gateBias in
                attention[member].withUnsafeMutableBufferPointer { alpha in
                    SoftAttention(regionCount: l, featureSize: f, attentionSize: a, score: score.baseAddress!,
                                  gateBias: gateBias.baseAddress!)
                        .forward(rows: 1, queries: q.baseAddress! + pair * queryColumns,
                                 image: { _ in SoftAttention.Image(regions: regions[member] + image * l * f,
                                                                   keys: keys[member] + image * l * a) },
                                 alpha: alpha.baseAddress! + r * l, context: z.baseAddress! + pair * f,
                                 gate: beta.baseAddress! + pair * f, gated: x.baseAddress! + pair * width + e,
                                 gatedStride: width, squashed: nil)
                }}}
            }
            // The LSTM: each core its unit blocks' gates, for every member, then the cell on them.
            let blocks = (h + FusedCaptionEnsemble.unitsPerBlock - 1) / FusedCaptionEnsemble.unitsPerBlock
            let gateShares = min(workers, blocks)
            split(gateShares) { share in
                let mine = Parallel.share(share, of: gateShares, blocks)
                let units = (mine.lowerBound * FusedCaptionEnsemble.unitsPerBlock)..<min(h, mine.upperBound * FusedCaptionEnsemble.unitsPerBlock)
                for member in 0..<m {
                    let preactivation = pre.baseAddress! + member * rows * gateColumns
                    members[member].gates.multiply(x.baseAddress! + member * rows * width, lda: width, m: rows,
                                                   kRange: 0..<width, panels: (mine.lowerBound * 4)..<(mine.upperBound * 4),
                                                   into: preactivation, ldc: gateColumns)
                    for r in 0..<rows {
                        let out = r * m * h + member * h
                        FusedCaptionEnsemble.lstm(units, gates: preactivation + r * gateColumns, previousMemory: cIn.baseAddress! + out,
                                                  memory: cOut.baseAddress! + out, hidden: hOut.baseAddress! + out)
                    }
                }
            }
            for member in 0..<m {
                for r in 0..<rows {
                    let row = deepIn.baseAddress! + (member * rows + r) * (h + f)
                    row.update(from: hOut.baseAddress! + r * m * h + member * h, count: h)
                    (row + h).update(from: x.baseAddress! + (member * rows + r) * width + e, count: f)
                }
            }
            // u = tanh(x + [h, ẑ] · [L_h; L_z]).
            let deepShares = min(workers, members[0].deepOutput.panels)
            split(deepShares) { share in
                let panels = Parallel.share(share, of: deepShares, members[0].deepOutput.panels)
                let columns = min(e, panels.lowerBound * PanelMatrix.width)..<min(e, panels.upperBound * PanelMatrix.width)
                for member in 0..<m {
                    let out = u.baseAddress! + member * rows * deepColumns
                    members[member].deepOutput.multiply(deepIn.baseAddress! + member * rows * (h + f), lda: h + f, m: rows,
                                                        kRange: 0..<(h + f), panels: panels, into: out, ldc: deepColumns)
                    for r in 0..<rows {
                        for j in stride(from: columns.lowerBound, to: columns.upperBound, by: 8) {
                            let lanes = min(8, columns.upperBound - j), value = out + r * deepColumns + j
                            RowKernels.store(RowKernels.tanh(RowKernels.load(value, count: lanes)), value, count: lanes)
                        }
                    }
                }
            }
        }}}}}}}}}}}
        // u side by side, member m in columns m·E..<(m+1)·E, as `EnsembleMixture` reads it.
        var outputs = [Float](repeating: 0, count: rows * m * e)
        for member in 0..<m {
            for r in 0..<rows {
                let source = (member * rows + r) * deepColumns, target = r * m * e + member * e
                outputs.replaceSubrange(target..<(target + e), with: deep[source..<(source + e)])
            }
        }
        let next = RecurrentState(hidden: Tensor(shape: [rows, m * h], data: hidden),
                                  memory: Tensor(shape: [rows, m * h], data: memory), images: images)
        return (next, Tensor(shape: [rows, m * e], data: outputs), attention)
    }

    /// Where the members look for each word of `words` and for the `<end>` after them, as they
    /// read them: `words.count + 1` maps, the mean of the members on the first member's grid
    /// (as ``CaptionEnsemble/attention(of:feature:)``).
    ///
    /// - Parameter feature: one image's row `// [Σ_m L_m·F]`.
    public func attention(of words: [Int], feature: Tensor) -> [[Float]] {
        var state = initialState(feature: feature)
        let grid = members.indices.filter { members[$0].regionCount == members[0].regionCount }
        let scale = 1 / Float(grid.count)
        var maps: [[Float]] = []
        for token in [CaptionModel.startToken] + words {
            let (next, _, attention) = advance(state, tokens: [token])
            maps.append(attention[0].indices.map { i in grid.reduce(0) { $0 + attention[$1][i] } * scale })
            state = next
        }
        return maps
    }
}
