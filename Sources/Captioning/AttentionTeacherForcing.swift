import Foundation
import Tensors

/// Forward and backward through time of the attention decoder (`AttentionDecoder.swift`) for
/// one group of captions, with the true previous word as every input: `TeacherForcing`'s
/// layout (captions longest first, step-major buffers of R = Σ_t n_t rows, row `start[t] + i`
/// is caption i at step t), with attention in the recurrence:
///
///     forward    X·W_x + b for every step                    // [R, E] × [E, 4H], once
///                per step: [q, g] = h_{t−1}·W_q; attention → ẑ_t;
///                          gates += [ẑ_t, h_{t−1}]·W_{zh}; LSTM
///                u = tanh(X_raw + H·L_h + Ẑ·L_z); logits = dropout(u)·W_o + b_o   // once
///     backward   the output side once; per step the LSTM, d[ẑ, h_{t−1}] = da·W_{zh}ᵀ, the
///                attention, dh_{t−1} += d[q, g]·W_qᵀ; then dW = [X, Ẑ, H_prev]ᵀ·dA,
///                dW_q = H_prevᵀ·d[Q, G], dW_a = aᵀ·dK over all rows at once
///
/// Every caption has its own copy of its image's keys (n·L rows, one GEMM), so the key
/// gradients of a caption never race another's.
struct AttentionTeacherForcing {
    let model: CaptionModel
    /// Batch indices of this group, longest caption first.
    let rows: [Int]
    /// Word ids of every caption of the batch (indexed by `rows`).
    let captions: [[Int]]
    /// The batch's regions `// [B, L·F]`.
    let features: Tensor
    /// Per batch row, the seed of its dropout masks; empty when dropout is off.
    let seeds: [UInt64]
    let dropout: Float
    /// Per batch row, what multiplies dL/dlogits of its tokens (see `TeacherForcing`).
    let gradientScales: [Float]
    /// What multiplies the attention penalty's gradient: 1 / (tokens in the whole batch), or 0
    /// for a policy gradient, which follows the reward alone.
    let penaltyScale: Float

    private static let names = [
        CaptionModel.embedName, CaptionModel.attentionKeysWeightName, CaptionModel.attentionKeysBiasName,
        CaptionModel.attentionQueryWeightName, CaptionModel.initialStateWeightName, CaptionModel.initialStateBiasName,
        LSTMCell.weightName, LSTMCell.biasName, CaptionModel.outputHiddenName, CaptionModel.outputContextName,
        CaptionModel.logitsWeightName, CaptionModel.logitsBiasName,
    ]

    /// Runs the group forward, and backward when `backward` is set. Without backward the loss
    /// is the cross-entropy alone (perplexity); with it, the cross-entropy plus the attention
    /// penalty when `penaltyScale` ≠ 0, the objective the gradients are of.
    func run(backward: Bool) -> TeacherForcing.Result {
        withBaseAddresses(Self.names.map { model.parameters[$0]!.data }) { p in
            model.withSoftAttention { attention in
                run(backward: backward, attention: attention, parameters: p)
            }
        }
    }

    private func run(backward: Bool, attention: SoftAttention, parameters p: [UnsafePointer<Float>]) -> TeacherForcing.Result {
        let (embed, keysWeight, keysBias, queryWeight, initWeight, initBias) = (p[0], p[1], p[2], p[3], p[4], p[5])
        let (weight, bias, outputHidden, outputContext, logitsWeight, logitsBias) = (p[6], p[7], p[8], p[9], p[10], p[11])
        let config = model.config
        let n = rows.count, e = config.embeddingSize, h = config.hiddenSize, v = config.vocabularySize
        let f = config.featureSize, l = config.regionCount, a = config.attentionSize
        let gh = 4 * h, width = e + f + h, queryWidth = a + f
        // Every step is scored: the step reading w_{t−1} (w₀ = <start>) predicts w_t, then <end>.
        let steps = rows.map { captions[$0].count + 1 }
        let (stepCount, active, start) = StepLayout.of(steps)
        let stepRows = start[stepCount]
        var targets = [Int](repeating: 0, count: stepRows)
        var tokenScales = [Float](repeating: 0, count: stepRows)
        for t in 0..<stepCount {
            for i in 0..<active[t] {
                let words = captions[rows[i]]
                targets[start[t] + i] = t < words.count ? words[t] : CaptionModel.endToken
                tokenScales[start[t] + i] = gradientScales[rows[i]]
            }
        }
        func inputToken(_ i: Int, _ t: Int) -> Int { t == 0 ? CaptionModel.startToken : captions[rows[i]][t - 1] }

        // Dropout masks, per caption in step order: the word input's (E), then the deep output's (E).
        let inputMask = dropout > 0 ? FloatBuffer(count: stepRows * e, zeroed: false) : nil
        let outputMask = dropout > 0 ? FloatBuffer(count: stepRows * e, zeroed: false) : nil
        if let inputMask, let outputMask {
            DropoutMask(probability: dropout).fill(seeds: rows.map { seeds[$0] }, steps: steps, start: start,
                                                   input: inputMask.pointer, inputWidth: e, output: outputMask.pointer,
                                                   outputWidth: e) { t, i in start[t] + i }
        }

        // The group's regions `[n·L, F]`, their keys `[n·L, A]`, and the mean region `[n, F]`.
        let regions = FloatBuffer(count: n * l * f, zeroed: false)
        features.data.withUnsafeBufferPointer { all in
            for i in 0..<n { (regions.pointer + i * l * f).update(from: all.baseAddress! + rows[i] * l * f, count: l * f) }
        }
        let keys = FloatBuffer(count: n * l * a, zeroed: false)
        for r in 0..<(n * l) { (keys.pointer + r * a).update(from: keysBias, count: a) }
        BLAS.gemm(m: n * l, n: a, k: f, a: regions.pointer, lda: f, b: keysWeight, ldb: a, beta: 1, c: keys.pointer, ldc: a)
        func image(_ i: Int) -> SoftAttention.Image {
            SoftAttention.Image(regions: regions.pointer + i * l * f, keys: keys.pointer + i * l * a)
        }
        let mean = FloatBuffer(count: n * f, zeroed: false)
        SoftAttention.meanRegions(regions.pointer, images: n, regionCount: l, featureSize: f, into: mean.pointer)
        // [h₀, c₀] = tanh(ā·W_init + b_init) `[n, 2H]`.
        let initial = FloatBuffer(count: n * 2 * h, zeroed: false)
        for i in 0..<n { (initial.pointer + i * 2 * h).update(from: initBias, count: 2 * h) }
        BLAS.gemm(m: n, n: 2 * h, k: f, a: mean.pointer, lda: f, b: initWeight, ldb: 2 * h, beta: 1,
                  c: initial.pointer, ldc: 2 * h)
        Self.squash(initial.pointer, count: n * 2 * h)
        let initialMemory = FloatBuffer(count: n * h, zeroed: false)
        for i in 0..<n { (initialMemory.pointer + i * h).update(from: initial.pointer + i * 2 * h + h, count: h) }

        // [x_t, ẑ_t, h_{t−1}] for every step `[R, E+F+H]`; x with its dropout, h_{−1} = h₀.
        let inputs = FloatBuffer(count: stepRows * width)
        for t in 0..<stepCount {
            for i in 0..<active[t] {
                let row = start[t] + i, source = embed + inputToken(i, t) * e, target = inputs.pointer + row * width
                if let inputMask {
                    RowKernels.multiply(source, inputMask.pointer + row * e, into: target, count: e)
                } else {
                    target.update(from: source, count: e)
                }
            }
        }
        for i in 0..<n { (inputs.pointer + i * width + e + f).update(from: initial.pointer + i * 2 * h, count: h) }

        // Forward: the word side of every step's gates in one GEMM, then attention and the recurrence.
        let gates = FloatBuffer(count: stepRows * gh, zeroed: false)
        for r in 0..<stepRows { (gates.pointer + r * gh).update(from: bias, count: gh) }
        BLAS.gemm(m: stepRows, n: gh, k: e, a: inputs.pointer, lda: width, b: weight, ldb: gh, beta: 1,
                  c: gates.pointer, ldc: gh)
        let contextAndHiddenWeight = weight + e * gh                                   // W_{zh} [F+H, 4H]
        let queries = FloatBuffer(count: stepRows * queryWidth, zeroed: false)         // [q, g] [R, A+F]
        let alpha = FloatBuffer(count: stepRows * l, zeroed: false)                    // [R, L]
        let squashed = FloatBuffer(count: stepRows * l * a, zeroed: false)             // tanh(k + q) [R, L, A]
        let context = FloatBuffer(count: stepRows * f, zeroed: false)                  // z [R, F]
        let gate = FloatBuffer(count: stepRows * f, zeroed: false)                     // β [R, F]
        let hidden = FloatBuffer(count: stepRows * h, zeroed: false)
        let memory = FloatBuffer(count: stepRows * h, zeroed: false)
        let squashedMemory = FloatBuffer(count: stepRows * h, zeroed: false)           // tanh c
        let cell = LSTMCell(inputSize: e + f, weight: model.parameters[LSTMCell.weightName]!,
                            bias: model.parameters[LSTMCell.biasName]!)
        func step(_ t: Int) -> SequenceStep {
            SequenceStep(rows: active[t], gates: gates.pointer + start[t] * gh, recurrent: nil,
                         previousHidden: inputs.pointer + start[t] * width + e + f, previousHiddenStride: width,
                         previousMemory: t > 0 ? memory.pointer + start[t - 1] * h : initialMemory.pointer,
                         hidden: hidden.pointer + start[t] * h, memory: memory.pointer + start[t] * h,
                         auxiliary: squashedMemory.pointer + start[t] * h)
        }
        for t in 0..<stepCount {
            let s = step(t), row = start[t]
            BLAS.gemm(m: s.rows, n: queryWidth, k: h, a: s.previousHidden, lda: width, b: queryWeight, ldb: queryWidth,
                      c: queries.pointer + row * queryWidth, ldc: queryWidth)
            attention.forward(rows: s.rows, queries: queries.pointer + row * queryWidth, image: image,
                              alpha: alpha.pointer + row * l, context: context.pointer + row * f,
                              gate: gate.pointer + row * f, gated: inputs.pointer + row * width + e, gatedStride: width,
                              squashed: squashed.pointer + row * l * a)
            BLAS.gemm(m: s.rows, n: gh, k: f + h, a: inputs.pointer + row * width + e, lda: width,
                      b: contextAndHiddenWeight, ldb: gh, beta: 1, c: s.gates, ldc: gh)
            cell.activate(s)
            if t + 1 < stepCount {
                for i in 0..<active[t + 1] {
                    (inputs.pointer + (start[t + 1] + i) * width + e + f).update(from: s.hidden + i * h, count: h)
                }
            }
        }

        // The deep output u = tanh(x + h·L_h + ẑ·L_z) over every step, then the logits.
        let deep = FloatBuffer(count: stepRows * e, zeroed: false)                     // u [R, E]
        for t in 0..<stepCount {
            for i in 0..<active[t] { (deep.pointer + (start[t] + i) * e).update(from: embed + inputToken(i, t) * e, count: e) }
        }
        BLAS.gemm(m: stepRows, n: e, k: h, a: hidden.pointer, lda: h, b: outputHidden, ldb: e, beta: 1,
                  c: deep.pointer, ldc: e)
        BLAS.gemm(m: stepRows, n: e, k: f, a: inputs.pointer + e, lda: width, b: outputContext, ldb: e, beta: 1,
                  c: deep.pointer, ldc: e)
        Self.squash(deep.pointer, count: stepRows * e)
        let maskedDeep = outputMask.map { mask in
            let masked = FloatBuffer(count: stepRows * e, zeroed: false)
            RowKernels.multiply(deep.pointer, mask.pointer, into: masked.pointer, count: stepRows * e)
            return masked
        }
        let outputs = UnsafePointer(maskedDeep?.pointer ?? deep.pointer)              // dropout(u) [R, E]
        let logits = FloatBuffer(count: stepRows * v, zeroed: false)
        for r in 0..<stepRows { (logits.pointer + r * v).update(from: logitsBias, count: v) }
        BLAS.gemm(m: stepRows, n: v, k: e, a: outputs, lda: e, b: logitsWeight, ldb: v, beta: 1, c: logits.pointer, ldc: v)
        let crossEntropy = SoftmaxCrossEntropy.loss(logits.pointer, rows: stepRows, width: v, targets: targets,
                                                    gradientScales: backward ? tokenScales : nil)
        guard backward else { return TeacherForcing.Result(lossSum: crossEntropy, gradients: [:]) }

        // The doubly stochastic penalty λ Σ_i (1 − Σ_t α_ti)² per caption, and dλ(…)/dα_ti.
        let penalty = config.attentionPenalty
        let coverage = FloatBuffer(count: n * l)                                        // Σ_t α [n, L]
        for t in 0..<stepCount {
            for i in 0..<active[t] { RowKernels.add(alpha.pointer + (start[t] + i) * l, to: coverage.pointer + i * l, count: l) }
        }
        var penaltySum: Double = 0
        for k in 0..<(n * l) { penaltySum += Double(penalty) * Double(1 - coverage.pointer[k]) * Double(1 - coverage.pointer[k]) }
        let dAlphaPenalty = penalty * penaltyScale != 0 ? FloatBuffer(count: stepRows * l, zeroed: false) : nil
        if let dAlphaPenalty {
            for t in 0..<stepCount {
                for i in 0..<active[t] {
                    for j in 0..<l {
                        dAlphaPenalty.pointer[(start[t] + i) * l + j] = -2 * penalty * penaltyScale * (1 - coverage.pointer[i * l + j])
                    }
                }
            }
        }

        // Backward: the output layer and the deep output, over every step at once.
        let dLogitsWeight = Self.product(rows: e, columns: v) { out in
            BLAS.gemm(transA: true, m: e, n: v, k: stepRows, a: outputs, lda: e, b: logits.pointer, ldb: v, c: out, ldc: v)
        }
        var dLogitsBias = [Float](repeating: 0, count: v)
        RowKernels.addColumnSums(of: logits.pointer, rowCount: stepRows, width: v, into: &dLogitsBias)
        let dDeep = FloatBuffer(count: stepRows * e, zeroed: false)                     // dL/d(pre-tanh u) [R, E]
        BLAS.gemm(transB: true, m: stepRows, n: e, k: v, a: logits.pointer, lda: v, b: logitsWeight, ldb: v,
                  c: dDeep.pointer, ldc: e)
        if let outputMask { RowKernels.multiply(dDeep.pointer, outputMask.pointer, into: dDeep.pointer, count: stepRows * e) }
        for k in 0..<(stepRows * e) { dDeep.pointer[k] *= 1 - deep.pointer[k] * deep.pointer[k] }
        let dOutputHidden = Self.product(rows: h, columns: e) { out in
            BLAS.gemm(transA: true, m: h, n: e, k: stepRows, a: hidden.pointer, lda: h, b: dDeep.pointer, ldb: e, c: out, ldc: e)
        }
        let dOutputContext = Self.product(rows: f, columns: e) { out in
            BLAS.gemm(transA: true, m: f, n: e, k: stepRows, a: inputs.pointer + e, lda: width, b: dDeep.pointer, ldb: e,
                      c: out, ldc: e)
        }
        let dHiddenOut = FloatBuffer(count: stepRows * h, zeroed: false)               // from u [R, H]
        BLAS.gemm(transB: true, m: stepRows, n: h, k: e, a: dDeep.pointer, lda: e, b: outputHidden, ldb: e,
                  c: dHiddenOut.pointer, ldc: h)
        let dGatedOut = FloatBuffer(count: stepRows * f, zeroed: false)                // from u [R, F]
        BLAS.gemm(transB: true, m: stepRows, n: f, k: e, a: dDeep.pointer, lda: e, b: outputContext, ldb: e,
                  c: dGatedOut.pointer, ldc: f)

        // Through time. As in `TeacherForcing`, rows of captions with no step t + 1 get nothing
        // from it: the buffers start at zero and each step writes only its own rows.
        let dGates = FloatBuffer(count: stepRows * gh, zeroed: false)
        let dQueries = FloatBuffer(count: stepRows * queryWidth, zeroed: false)
        let dKeys = FloatBuffer(count: n * l * a)
        var dScore = [Float](repeating: 0, count: a), dGateBias = [Float](repeating: 0, count: f)
        let dHidden = FloatBuffer(count: n * h, zeroed: false)
        let dPrevious = FloatBuffer(count: n * h)                                        // dL/dh_{t−1}
        let dMemory = FloatBuffer(count: n * h)                                          // dL/dc, in and out
        let dContextAndHidden = FloatBuffer(count: n * (f + h), zeroed: false)           // d[ẑ, h_{t−1}]
        dScore.withUnsafeMutableBufferPointer { dScore in
        dGateBias.withUnsafeMutableBufferPointer { dGateBias in
            for t in stride(from: stepCount - 1, through: 0, by: -1) {
                let s = step(t), row = start[t]
                RowKernels.sum(dPrevious.pointer, dHiddenOut.pointer + row * h, into: dHidden.pointer, count: s.rows * h)
                cell.differentiate(s, SequenceStepGradients(hidden: dHidden.pointer, memory: dMemory.pointer,
                                                            gates: dGates.pointer + row * gh, recurrent: nil, previousHidden: nil))
                BLAS.gemm(transB: true, m: s.rows, n: f + h, k: gh, a: dGates.pointer + row * gh, lda: gh,
                          b: contextAndHiddenWeight, ldb: gh, c: dContextAndHidden.pointer, ldc: f + h)
                for i in 0..<s.rows {
                    RowKernels.add(dGatedOut.pointer + (row + i) * f, to: dContextAndHidden.pointer + i * (f + h), count: f)
                }
                attention.backward(rows: s.rows, image: image, alpha: alpha.pointer + row * l, context: context.pointer + row * f,
                                   gate: gate.pointer + row * f, squashed: squashed.pointer + row * l * a,
                                   dGated: dContextAndHidden.pointer, dGatedStride: f + h,
                                   dAlphaExtra: dAlphaPenalty.map { UnsafePointer($0.pointer + row * l) },
                                   dQueries: dQueries.pointer + row * queryWidth,
                                   keyGradient: { i in dKeys.pointer + i * l * a },
                                   dScore: dScore.baseAddress!, dGateBias: dGateBias.baseAddress!)
                for i in 0..<s.rows {
                    (dPrevious.pointer + i * h).update(from: dContextAndHidden.pointer + i * (f + h) + f, count: h)
                }
                BLAS.gemm(transB: true, m: s.rows, n: h, k: queryWidth, a: dQueries.pointer + row * queryWidth, lda: queryWidth,
                          b: queryWeight, ldb: queryWidth, beta: 1, c: dPrevious.pointer, ldc: h)
            }
        }}

        // The cell, the query and the keys' weights, over all rows at once.
        let dWeight = Self.product(rows: width, columns: gh) { out in
            BLAS.gemm(transA: true, m: width, n: gh, k: stepRows, a: inputs.pointer, lda: width, b: dGates.pointer, ldb: gh,
                      c: out, ldc: gh)
        }
        var dBias = [Float](repeating: 0, count: gh)
        RowKernels.addColumnSums(of: dGates.pointer, rowCount: stepRows, width: gh, into: &dBias)
        let dQueryWeight = Self.product(rows: h, columns: queryWidth) { out in
            BLAS.gemm(transA: true, m: h, n: queryWidth, k: stepRows, a: inputs.pointer + e + f, lda: width,
                      b: dQueries.pointer, ldb: queryWidth, c: out, ldc: queryWidth)
        }
        let dKeysWeight = Self.product(rows: f, columns: a) { out in
            BLAS.gemm(transA: true, m: f, n: a, k: n * l, a: regions.pointer, lda: f, b: dKeys.pointer, ldb: a, c: out, ldc: a)
        }
        var dKeysBias = [Float](repeating: 0, count: a)
        RowKernels.addColumnSums(of: dKeys.pointer, rowCount: n * l, width: a, into: &dKeysBias)
        // h₀ and c₀ through their tanh: dPrevious and dMemory now hold dL/dh₀ and dL/dc₀.
        let dInitial = FloatBuffer(count: n * 2 * h, zeroed: false)
        for i in 0..<n {
            for j in 0..<h {
                let h0 = initial.pointer[i * 2 * h + j], c0 = initial.pointer[i * 2 * h + h + j]
                dInitial.pointer[i * 2 * h + j] = dPrevious.pointer[i * h + j] * (1 - h0 * h0)
                dInitial.pointer[i * 2 * h + h + j] = dMemory.pointer[i * h + j] * (1 - c0 * c0)
            }
        }
        let dInitWeight = Self.product(rows: f, columns: 2 * h) { out in
            BLAS.gemm(transA: true, m: f, n: 2 * h, k: n, a: mean.pointer, lda: f, b: dInitial.pointer, ldb: 2 * h, c: out, ldc: 2 * h)
        }
        var dInitBias = [Float](repeating: 0, count: 2 * h)
        RowKernels.addColumnSums(of: dInitial.pointer, rowCount: n, width: 2 * h, into: &dInitBias)

        // The word embeddings: through the LSTM input (with its dropout) and the deep output.
        let dInputs = FloatBuffer(count: stepRows * e, zeroed: false)
        BLAS.gemm(transB: true, m: stepRows, n: e, k: gh, a: dGates.pointer, lda: gh, b: weight, ldb: gh,
                  c: dInputs.pointer, ldc: e)
        if let inputMask { RowKernels.multiply(dInputs.pointer, inputMask.pointer, into: dInputs.pointer, count: stepRows * e) }
        var dEmbed = [Float](repeating: 0, count: v * e)
        dEmbed.withUnsafeMutableBufferPointer { table in
            for t in 0..<stepCount {
                for i in 0..<active[t] {
                    let target = table.baseAddress! + inputToken(i, t) * e, row = start[t] + i
                    RowKernels.add(dInputs.pointer + row * e, to: target, count: e)
                    RowKernels.add(dDeep.pointer + row * e, to: target, count: e)
                }
            }
        }

        let gradients: [String: Tensor] = [
            CaptionModel.embedName: Tensor(shape: [v, e], data: dEmbed),
            CaptionModel.attentionKeysWeightName: Tensor(shape: [f, a], data: dKeysWeight),
            CaptionModel.attentionKeysBiasName: Tensor(shape: [a], data: dKeysBias),
            CaptionModel.attentionQueryWeightName: Tensor(shape: [h, queryWidth], data: dQueryWeight),
            CaptionModel.attentionGateBiasName: Tensor(shape: [f], data: dGateBias),
            CaptionModel.attentionScoreName: Tensor(shape: [a], data: dScore),
            CaptionModel.initialStateWeightName: Tensor(shape: [f, 2 * h], data: dInitWeight),
            CaptionModel.initialStateBiasName: Tensor(shape: [2 * h], data: dInitBias),
            LSTMCell.weightName: Tensor(shape: [width, gh], data: dWeight),
            LSTMCell.biasName: Tensor(shape: [gh], data: dBias),
            CaptionModel.outputHiddenName: Tensor(shape: [h, e], data: dOutputHidden),
            CaptionModel.outputContextName: Tensor(shape: [f, e], data: dOutputContext),
            CaptionModel.logitsWeightName: Tensor(shape: [e, v], data: dLogitsWeight),
            CaptionModel.logitsBiasName: Tensor(shape: [v], data: dLogitsBias),
        ]
        return TeacherForcing.Result(lossSum: crossEntropy + (penaltyScale != 0 ? penaltySum : 0), gradients: gradients)
    }

    /// x = tanh x in place, eight at a time.
    private static func squash(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for j in stride(from: 0, to: count, by: 8) {
            let lanes = min(8, count - j)
            RowKernels.store(RowKernels.tanh(RowKernels.load(x + j, count: lanes)), x + j, count: lanes)
        }
    }

    /// A `[rows, columns]` gradient written by `fill` straight into the array returned.
    private static func product(rows: Int, columns: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { out, count in
            fill(out.baseAddress!)
            count = rows * columns
        }
    }
}
