import Foundation
import Tensors

/// Forward and backward through time for one group of captions of a minibatch, with the true
/// previous word as every input (teacher forcing). `CaptionModel.loss` gives each worker one.
///
/// The group is sorted longest first, so the n_t captions still running at step t are rows
/// 0..<n_t, and every activation of the group lives in step-major buffers of R = Σ_t n_t rows:
/// row `start[t] + i` is caption i at step t, and padding costs nothing. Only the recurrence is
/// per step; everything else is one GEMM over all R rows (the GEMMs' M or K grows from n_t ≈ 50
/// to R ≈ 600, where OpenBLAS runs near its peak and packs each weight once):
///
///     forward    A = X·W_x + b                     // [R, E] × [E, G·H], once
///                a_t = A_t + h_{t−1}·W_h; cell     // [n_t, H] × [H, G·H], per step
///                logits = dropout(h)·W_o + b_o     // [N, H] × [H, V], once (N scored rows)
///     backward   dW_o, db_o, dh = dlogits·W_oᵀ     // once
///                da_t; dh_{t−1} = da_t·W_hᵀ        // per step
///                dW = [X, H_prev]ᵀ·dA, db = Σ dA, dX = dA·W_xᵀ   // once, K = R
struct TeacherForcing {
    let model: CaptionModel
    let cell: any SequenceCell
    /// Batch indices of this group, longest caption first.
    let rows: [Int]
    /// Word ids of every caption of the batch (indexed by `rows`).
    let captions: [[Int]]
    /// `// [B, F]`, nil when text-only.
    let features: Tensor?
    /// Per batch row, the seed of its dropout masks; empty when dropout is off.
    let seeds: [UInt64]
    let dropout: Float
    /// Per batch row, what multiplies dL/dlogits of its tokens: 1 / (tokens in the whole batch)
    /// for the gradient of the mean loss, A_b / B for a policy gradient (`CaptionModel.policyGradient`).
    let gradientScales: [Float]

    struct Result {
        /// −Σ log p(target) over this group's tokens.
        var lossSum: Double
        /// Gradients of the batch's mean loss from this group's tokens; empty without backward.
        var gradients: [String: Tensor]
    }

    /// Runs the group forward, and backward when `backward` is set.
    func run(backward: Bool) -> Result {
        let names = [CaptionModel.embedName, type(of: cell).weightName, type(of: cell).biasName,
                     CaptionModel.logitsWeightName, CaptionModel.logitsBiasName]
        return withBaseAddresses(names.map { model.parameters[$0]!.data }) { p in
            run(backward: backward, embed: p[0], weight: p[1], bias: p[2], logitsWeight: p[3], logitsBias: p[4])
        }
    }

    private func run(backward: Bool, embed: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                     logitsWeight: UnsafePointer<Float>, logitsBias: UnsafePointer<Float>) -> Result {
        let config = model.config
        let n = rows.count, e = config.embeddingSize, h = config.hiddenSize, v = config.vocabularySize
        let gh = config.cell.gateCount * h, width = e + h
        let image = !config.textOnly
        // Steps before the first word is read: image and <start>, or <start> alone.
        let lead = image ? 2 : 1
        let firstScored = image ? 1 : 0, firstWordStep = image ? 1 : 0
        let steps = rows.map { captions[$0].count + lead }
        let (stepCount, active, start) = StepLayout.of(steps)
        let stepRows = start[stepCount]
        // The scored steps' rows are the last N: token row = step row − firstToken.
        let firstToken = start[firstScored], tokenCount = stepRows - firstToken
        var targets = [Int](repeating: 0, count: tokenCount)
        var tokenScales = [Float](repeating: 0, count: tokenCount)
        for t in firstScored..<stepCount {
            for i in 0..<active[t] {
                let words = captions[rows[i]], k = t - firstScored
                targets[start[t] - firstToken + i] = k < words.count ? words[k] : CaptionModel.endToken
                tokenScales[start[t] - firstToken + i] = gradientScales[rows[i]]
            }
        }
        func inputToken(_ i: Int, _ t: Int) -> Int {
            let k = t - lead
            return k < 0 ? CaptionModel.startToken : captions[rows[i]][k]
        }

        // Dropout masks, per caption in step order: input mask (E) then, on scored steps, output mask (H).
        let inputMask = dropout > 0 ? FloatBuffer(count: stepRows * e, zeroed: false) : nil      // [R, E]
        let outputMask = dropout > 0 ? FloatBuffer(count: tokenCount * h, zeroed: false) : nil   // [N, H]
        if let inputMask, let outputMask {
            DropoutMask(probability: dropout).fill(seeds: rows.map { seeds[$0] }, steps: steps, start: start,
                                                   input: inputMask.pointer, inputWidth: e, output: outputMask.pointer,
                                                   outputWidth: h) { t, i in t >= firstScored ? start[t] - firstToken + i : nil }
        }

        // [x_t, h_{t−1}] for every step `// [R, E+H]`; h_{−1} = 0.
        let inputs = FloatBuffer(count: stepRows * width)
        func setInput(_ row: Int, from source: UnsafePointer<Float>) {
            let target = inputs.pointer + row * width
            if let inputMask {
                RowKernels.multiply(source, inputMask.pointer + row * e, into: target, count: e)
            } else {
                target.update(from: source, count: e)
            }
        }
        let imageFeatures = image ? features!.selectingRows(rows) : nil      // [n, F]
        if let imageFeatures {
            let projected = BatchMath.affine(imageFeatures, model.parameters[CaptionModel.imageProjectionWeightName]!,
                                             model.parameters[CaptionModel.imageProjectionBiasName]!)   // [n, E]
            projected.data.withUnsafeBufferPointer { x in
                for i in 0..<n { setInput(i, from: x.baseAddress! + i * e) }
            }
        }
        for t in firstWordStep..<stepCount {
            for i in 0..<active[t] { setInput(start[t] + i, from: embed + inputToken(i, t) * e) }
        }

        // Forward: the input side of every step in one GEMM, then the recurrence.
        let gates = FloatBuffer(count: stepRows * gh, zeroed: false)                  // [R, G·H]
        for r in 0..<stepRows { (gates.pointer + r * gh).update(from: bias, count: gh) }
        BLAS.gemm(m: stepRows, n: gh, k: e, a: inputs.pointer, lda: width, b: weight, ldb: gh,
                  beta: 1, c: gates.pointer, ldc: gh)
        let recurrentWeight = weight + e * gh                                          // W_h [H, G·H]
        let apart = type(of: cell).keepsRecurrentApart
        let hidden = FloatBuffer(count: stepRows * h, zeroed: false)                  // h_t [R, H]
        let memory = config.cell.hasMemory ? FloatBuffer(count: stepRows * h, zeroed: false) : nil
        let auxiliary = config.cell == .rnn ? nil : FloatBuffer(count: stepRows * h, zeroed: false)
        let recurrent = apart ? FloatBuffer(count: n * gh) : nil                      // h_{t−1}·W_h, 0 at t = 0
        let zeroMemory = memory.map { _ in FloatBuffer(count: n * h) }                 // c_{−1}
        func step(_ t: Int) -> SequenceStep {
            SequenceStep(rows: active[t], gates: gates.pointer + start[t] * gh, recurrent: recurrent?.pointer,
                         previousHidden: inputs.pointer + start[t] * width + e, previousHiddenStride: width,
                         previousMemory: memory.map { t > 0 ? $0.pointer + start[t - 1] * h : zeroMemory!.pointer },
                         hidden: hidden.pointer + start[t] * h, memory: memory.map { $0.pointer + start[t] * h },
                         auxiliary: auxiliary.map { $0.pointer + start[t] * h })
        }
        for t in 0..<stepCount {
            let s = step(t)
            if t > 0 {
                BLAS.gemm(m: s.rows, n: gh, k: h, a: s.previousHidden, lda: width, b: recurrentWeight, ldb: gh,
                          beta: apart ? 0 : 1, c: recurrent?.pointer ?? s.gates, ldc: gh)
            }
            cell.activate(s)
            if t + 1 < stepCount {
                for i in 0..<active[t + 1] {
                    (inputs.pointer + (start[t + 1] + i) * width + e).update(from: s.hidden + i * h, count: h)
                }
            }
        }

        // Output layer over every scored step and softmax cross-entropy; dL/dlogits overwrites the logits.
        let maskedOutputs = outputMask.map { mask in
            let masked = FloatBuffer(count: tokenCount * h, zeroed: false)
            RowKernels.multiply(hidden.pointer + firstToken * h, mask.pointer, into: masked.pointer, count: tokenCount * h)
            return masked
        }
        let outputs = UnsafePointer(maskedOutputs?.pointer ?? hidden.pointer + firstToken * h)   // dropout(h) [N, H]
        let logits = FloatBuffer(count: tokenCount * v, zeroed: false)               // [N, V]
        for r in 0..<tokenCount { (logits.pointer + r * v).update(from: logitsBias, count: v) }
        BLAS.gemm(m: tokenCount, n: v, k: h, a: outputs, lda: h, b: logitsWeight, ldb: v,
                  beta: 1, c: logits.pointer, ldc: v)
        let lossSum = SoftmaxCrossEntropy.loss(logits.pointer, rows: tokenCount, width: v, targets: targets,
                                               gradientScales: backward ? tokenScales : nil)
        guard backward else { return Result(lossSum: lossSum, gradients: [:]) }

        // Backward: output layer.
        // Gradients are written straight into the arrays of the tensors returned.
        let dLogitsWeight = [Float](unsafeUninitializedCapacity: h * v) { out, count in
            BLAS.gemm(transA: true, m: h, n: v, k: tokenCount, a: outputs, lda: h, b: logits.pointer, ldb: v,
                      c: out.baseAddress!, ldc: v)
            count = h * v
        }
        var dLogitsBias = [Float](repeating: 0, count: v)
        RowKernels.addColumnSums(of: logits.pointer, rowCount: tokenCount, width: v, into: &dLogitsBias)
        let dOutputs = FloatBuffer(count: tokenCount * h, zeroed: false)              // [N, H]
        BLAS.gemm(transB: true, m: tokenCount, n: h, k: v, a: logits.pointer, lda: v, b: logitsWeight, ldb: v,
                  c: dOutputs.pointer, ldc: h)
        if let outputMask {
            RowKernels.multiply(dOutputs.pointer, outputMask.pointer, into: dOutputs.pointer, count: tokenCount * h)
        }

        // Through time. Rows of captions that have no step t + 1 get no gradient from it: the
        // buffers start at zero and a step writes only its own rows, fewer than any earlier step's.
        let dGates = FloatBuffer(count: stepRows * gh, zeroed: false)                 // dA [R, G·H]
        let dRecurrentSide = apart ? FloatBuffer(count: stepRows * gh, zeroed: false) : nil
        let dHidden = FloatBuffer(count: n * h, zeroed: false)
        let dPrevious = FloatBuffer(count: n * h)                                     // dL/dh_{t−1} from step t
        let dMemory = config.cell.hasMemory ? FloatBuffer(count: n * h) : nil         // dL/dc, in and out
        for t in stride(from: stepCount - 1, through: 0, by: -1) {
            let s = step(t), count = s.rows * h
            if t >= firstScored {
                RowKernels.sum(dPrevious.pointer, dOutputs.pointer + (start[t] - firstToken) * h,
                               into: dHidden.pointer, count: count)
            } else {
                dHidden.pointer.update(from: dPrevious.pointer, count: count)
            }
            let dRecurrent = (dRecurrentSide ?? dGates).pointer + start[t] * gh
            cell.differentiate(s, SequenceStepGradients(hidden: dHidden.pointer, memory: dMemory?.pointer,
                                                        gates: dGates.pointer + start[t] * gh,
                                                        recurrent: apart ? dRecurrent : nil,
                                                        previousHidden: apart ? dPrevious.pointer : nil))
            if t > 0 {
                BLAS.gemm(transB: true, m: s.rows, n: h, k: gh, a: dRecurrent, lda: gh, b: recurrentWeight, ldb: gh,
                          beta: apart ? 1 : 0, c: dPrevious.pointer, ldc: h)
            }
        }

        // Cell parameters and inputs, over all steps at once.
        let dWeight = [Float](unsafeUninitializedCapacity: width * gh) { out, count in
            BLAS.gemm(transA: true, m: apart ? e : width, n: gh, k: stepRows, a: inputs.pointer, lda: width,
                      b: dGates.pointer, ldb: gh, c: out.baseAddress!, ldc: gh)
            if let dRecurrentSide {
                BLAS.gemm(transA: true, m: h, n: gh, k: stepRows, a: inputs.pointer + e, lda: width,
                          b: dRecurrentSide.pointer, ldb: gh, c: out.baseAddress! + e * gh, ldc: gh)
            }
            count = width * gh
        }
        var dBias = [Float](repeating: 0, count: gh)
        RowKernels.addColumnSums(of: dGates.pointer, rowCount: stepRows, width: gh, into: &dBias)
        let dInputs = FloatBuffer(count: stepRows * e, zeroed: false)                 // dX [R, E]
        BLAS.gemm(transB: true, m: stepRows, n: e, k: gh, a: dGates.pointer, lda: gh, b: weight, ldb: gh,
                  c: dInputs.pointer, ldc: e)
        if let inputMask {
            RowKernels.multiply(dInputs.pointer, inputMask.pointer, into: dInputs.pointer, count: stepRows * e)
        }
        var dEmbed = [Float](repeating: 0, count: v * e)
        dEmbed.withUnsafeMutableBufferPointer { table in
            for t in firstWordStep..<stepCount {
                for i in 0..<active[t] {
                    RowKernels.add(dInputs.pointer + (start[t] + i) * e, to: table.baseAddress! + inputToken(i, t) * e, count: e)
                }
            }
        }

        var gradients: [String: Tensor] = [
            CaptionModel.embedName: Tensor(shape: [v, e], data: dEmbed),
            type(of: cell).weightName: Tensor(shape: [width, gh], data: dWeight),
            type(of: cell).biasName: Tensor(shape: [gh], data: dBias),
            CaptionModel.logitsWeightName: Tensor(shape: [h, v], data: dLogitsWeight),
            CaptionModel.logitsBiasName: Tensor(shape: [v], data: dLogitsBias),
        ]
        if let imageFeatures {
            // The image step's rows are 0..<n.
            let dImage = Tensor(shape: [n, e], data: Array(UnsafeBufferPointer(start: dInputs.pointer, count: n * e)))
            var dProjectionWeight = Tensor(shape: [config.featureSize, e]), dProjectionBias = Tensor(shape: [e])
            BatchMath.accumulateAffineGradients(input: imageFeatures, outputGradient: dImage,
                                                weight: &dProjectionWeight, bias: &dProjectionBias)
            gradients[CaptionModel.imageProjectionWeightName] = dProjectionWeight
            gradients[CaptionModel.imageProjectionBiasName] = dProjectionBias
        }
        return Result(lossSum: lossSum, gradients: gradients)
    }
}

/// Where a group of captions, longest first, lives in step-major buffers: at step t the
/// `active[t]` captions still running are rows `start[t]..<start[t] + active[t]`, caption i at
/// row `start[t] + i`; `start[stepCount]` rows in all.
enum StepLayout {
    /// From each caption's step count (non-increasing).
    static func of(_ steps: [Int]) -> (stepCount: Int, active: [Int], start: [Int]) {
        let stepCount = steps[0]
        let active = (0..<stepCount).map { t in steps.prefix { $0 > t }.count }
        var start = [Int](repeating: 0, count: stepCount + 1)
        for t in 0..<stepCount { start[t + 1] = start[t] + active[t] }
        return (stepCount, active, start)
    }
}
