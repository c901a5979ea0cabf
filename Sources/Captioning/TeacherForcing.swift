import Foundation
import Tensors

/// Forward and backward through time for one group of captions of a minibatch, with the true
/// previous word as every input (teacher forcing). `CaptionModel.loss` gives each worker one.
///
/// The group is sorted longest first, so the n_t captions still running at step t are rows
/// 0..<n_t: each step's GEMM covers only live rows, and padding costs nothing. The outputs of
/// all scored steps are stacked into one `[N, H]` matrix (N = Σ (L_b + 1) tokens) so the V-wide
/// output layer and its gradient are three large GEMMs instead of one per step.
struct TeacherForcing {
    let model: CaptionModel
    let cell: any RecurrentCell
    /// Batch indices of this group, longest caption first.
    let rows: [Int]
    /// Word ids of every caption of the batch (indexed by `rows`).
    let captions: [[Int]]
    /// `// [B, F]`, nil when text-only.
    let features: Tensor?
    /// Per batch row, the seed of its dropout masks; empty when dropout is off.
    let seeds: [UInt64]
    let dropout: Float
    /// Multiplies dL/dlogits: 1 / (tokens in the whole batch), so gradients are of the mean loss.
    let gradientScale: Float

    struct Result {
        /// −Σ log p(target) over this group's tokens.
        var lossSum: Double
        /// Gradients of the batch's mean loss from this group's tokens; empty without backward.
        var gradients: [String: Tensor]
    }

    /// Runs the group forward, and backward when `backward` is set.
    func run(backward: Bool) -> Result {
        let config = model.config
        let n = rows.count, e = config.embeddingSize, h = config.hiddenSize, v = config.vocabularySize
        let image = !config.textOnly
        // Steps before the first word is read: image and <start>, or <start> alone.
        let lead = image ? 2 : 1
        let firstScored = image ? 1 : 0
        let steps = rows.map { captions[$0].count + lead }
        let stepCount = steps.first ?? 0
        let active = (0..<stepCount).map { t in steps.prefix { $0 > t }.count }

        // Output row of (step t, caption i) is offset[t] + i; targets in the same order.
        var offset = [Int](repeating: 0, count: stepCount)
        var tokenCount = 0
        for t in firstScored..<max(firstScored, stepCount) {
            offset[t] = tokenCount
            tokenCount += active[t]
        }
        var targets = [Int](repeating: 0, count: tokenCount)
        for t in firstScored..<max(firstScored, stepCount) {
            for i in 0..<active[t] {
                let words = captions[rows[i]], k = t - firstScored
                targets[offset[t] + i] = k < words.count ? words[k] : CaptionModel.endToken
            }
        }
        func inputToken(_ i: Int, _ t: Int) -> Int {
            let k = t - lead
            return k < 0 ? CaptionModel.startToken : captions[rows[i]][k]
        }

        // Dropout masks, per caption in step order: input mask (E) then, on scored steps, output mask (H).
        var inputMasks = [[Float]](), outputMasks = [[Float]]()
        if dropout > 0 {
            inputMasks = active.map { [Float](repeating: 0, count: $0 * e) }
            outputMasks = active.map { [Float](repeating: 0, count: $0 * h) }
            let mask = DropoutMask(probability: dropout)
            for i in 0..<n {
                var rng = SplitMix64(seed: seeds[rows[i]])
                for t in 0..<steps[i] {
                    inputMasks[t].withUnsafeMutableBufferPointer { mask.fill($0.baseAddress! + i * e, count: e, rng: &rng) }
                    if t >= firstScored {
                        outputMasks[t].withUnsafeMutableBufferPointer { mask.fill($0.baseAddress! + i * h, count: h, rng: &rng) }
                    }
                }
            }
        }

        let embed = model.parameters[CaptionModel.embedName]!
        let imageFeatures = image ? features!.selectingRows(rows) : nil      // [n, F]

        // Forward.
        var state = cell.zeroState(batch: n)
        var caches = [CellCache]()
        caches.reserveCapacity(stepCount)
        var outputs = Tensor(shape: [tokenCount, h])                          // dropout(h_t), stacked
        for t in 0..<stepCount {
            let m = active[t]
            var x: Tensor
            if image && t == 0 {
                x = BatchMath.affine(imageFeatures!, model.parameters[CaptionModel.imageProjectionWeightName]!,
                                     model.parameters[CaptionModel.imageProjectionBiasName]!)
            } else {
                x = embed.selectingRows((0..<m).map { inputToken($0, t) })
            }
            if dropout > 0 { BatchMath.multiply(&x, by: inputMasks[t]) }
            let (next, cache) = cell.forward(x, state: state.prefix(m))
            state = next
            caches.append(cache)
            if t >= firstScored {
                BatchMath.copy(next.hidden.data, mask: dropout > 0 ? outputMasks[t] : nil,
                               into: &outputs.data, at: offset[t] * h)
            }
        }

        // Output layer and softmax cross-entropy; dL/dlogits overwrites the logits.
        var logits = BatchMath.affine(outputs, model.parameters[CaptionModel.logitsWeightName]!,
                                      model.parameters[CaptionModel.logitsBiasName]!)
        let lossSum = SoftmaxCrossEntropy.loss(&logits, targets: targets, gradientScale: backward ? gradientScale : nil)
        guard backward else { return Result(lossSum: lossSum, gradients: [:]) }

        // Backward: output layer, then through time.
        var dLogitsWeight = Tensor(shape: [h, v]), dLogitsBias = Tensor(shape: [v])
        BatchMath.accumulateAffineGradients(input: outputs, outputGradient: logits,
                                            weight: &dLogitsWeight, bias: &dLogitsBias)
        let dOutputs = BatchMath.inputGradient(outputGradient: logits,
                                               weight: model.parameters[CaptionModel.logitsWeightName]!)
        var dEmbed = Tensor(shape: [v, e])
        var cellGradients = CellGradients(zerosFor: cell)
        var dProjectionWeight = Tensor(shape: [config.featureSize, e]), dProjectionBias = Tensor(shape: [e])
        var dNext: RecurrentState?
        for t in stride(from: stepCount - 1, through: 0, by: -1) {
            let m = active[t]
            var dState = dNext?.zeroPadded(to: m)
                ?? RecurrentState.zeros(batch: m, hiddenSize: h, hasMemory: config.cell.hasMemory)
            if t >= firstScored {
                BatchMath.add(dOutputs.data, from: offset[t] * h, mask: dropout > 0 ? outputMasks[t] : nil,
                              into: &dState.hidden.data)
            }
            let (dInput, dPrevious) = cell.backward(dState, cache: caches[t], gradients: &cellGradients)
            var dx = dInput
            if dropout > 0 { BatchMath.multiply(&dx, by: inputMasks[t]) }
            if image && t == 0 {
                BatchMath.accumulateAffineGradients(input: imageFeatures!, outputGradient: dx,
                                                    weight: &dProjectionWeight, bias: &dProjectionBias)
            } else {
                BatchMath.scatterAddRows(dx, rows: (0..<m).map { inputToken($0, t) }, into: &dEmbed)
            }
            dNext = dPrevious
        }

        var gradients: [String: Tensor] = [
            CaptionModel.embedName: dEmbed,
            type(of: cell).weightName: cellGradients.weight,
            type(of: cell).biasName: cellGradients.bias,
            CaptionModel.logitsWeightName: dLogitsWeight,
            CaptionModel.logitsBiasName: dLogitsBias,
        ]
        if image {
            gradients[CaptionModel.imageProjectionWeightName] = dProjectionWeight
            gradients[CaptionModel.imageProjectionBiasName] = dProjectionBias
        }
        return Result(lossSum: lossSum, gradients: gradients)
    }
}
