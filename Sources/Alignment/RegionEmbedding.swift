import Encoder
import Tensors

/// Maps image region features into the multimodal space (paper eq. 1, linear as in the paper):
///
///     f̂_i = f_i / max(‖f_i‖₂, ε)          [F]    ε = 1e-6
///     v_i = W_m f̂_i + b_m                  [h]    W_m [h, F], b_m [h]
///
/// for the R regions of an image, `[R, F]` → `[R, h]` (R = 50 for `ImageRegions`).
///
/// Why the L2 normalization: raw pool5 values reach ~300 under the Keras/caffe input convention
/// (0–255 pixels) and are on another scale under the torchvision one (standardized pixels), and
/// the whole-image mean is smaller than its cells' maxima. Unnormalized, the scale of the scores
/// (against the fixed margin of 1) and so the usable learning rate would depend on which VGG16
/// weights were imported, and the largest cells would dominate every max. A ReLU feature's
/// direction says which channels fire, which is what a word has to match; normalizing also
/// leaves the one linear layer of the paper well-conditioned. (The paper's RCNN fc7 features
/// were on a small fixed scale already.) An all-zero cell stays zero.
///
/// Training need not form v. Because the map is linear,
///
///     v_iᵀ s_t = f̂_iᵀ u_t + b_mᵀ s_t,      u_t = W_mᵀ s_t   [F]
///
/// so the words can be projected into feature space instead (`projectWords`): a batch has
/// B·R = 5,000 regions but only ΣT ≈ 1,200 words. `AlignmentScoreSpace` says which is cheaper.
public struct RegionEmbedding: Sendable {
    /// W_m `[h, F]`.
    public let weight: Tensor
    /// b_m `[h]`.
    public let bias: Tensor

    /// F.
    public var featureSize: Int { weight.shape[1] }
    /// h.
    public var hiddenSize: Int { weight.shape[0] }

    init(parameters: [String: Tensor]) {
        weight = parameters[AlignmentParameter.regionWeight.name]!
        bias = parameters[AlignmentParameter.regionBias.name]!
    }

    /// v for one image's regions: `[R, F]` → `[R, h]`.
    public func callAsFunction(_ regions: Tensor) -> Tensor {
        precondition(regions.shape.count == 2 && regions.shape[1] == featureSize,
                     "RegionEmbedding expects [R, \(featureSize)], got \(regions.shape)")
        return embed(normalize([regions])).tensor(shape: [regions.shape[0], hiddenSize])
    }

    /// v = f̂ W_mᵀ + b_m `[ΣR, h]` from stacked normalized features `[ΣR, F]`.
    func embed(_ normalized: FloatBuffer) -> FloatBuffer {
        let f = featureSize, h = hiddenSize, rows = normalized.count / f
        let embedded = FloatBuffer(count: rows * h, zeroed: false)
        guard rows > 0 else { return embedded }
        withBaseAddresses([weight.data, bias.data]) { p in
            BLAS.gemm(transB: true, m: rows, n: h, k: f, a: normalized.pointer, lda: f, b: p[0], ldb: f,
                             c: embedded.pointer, ldc: h, workers: Parallel.workers)
            RowKernels.addRowVector(p[1], to: embedded.pointer, rowCount: rows, width: h)
        }
        return embedded
    }

    /// The backward pass of `embed`: ∂C/∂W_m = ∂C/∂vᵀ f̂ and ∂C/∂b_m = Σ_i ∂C/∂v_i, from
    /// `embeddedGradient` `[ΣR, h]`. The features are fixed inputs (the CNN is not fine-tuned),
    /// so nothing flows back into them.
    func backward(normalized: FloatBuffer, embeddedGradient: FloatBuffer) -> (weight: FloatBuffer, bias: FloatBuffer) {
        let f = featureSize, h = hiddenSize, rows = normalized.count / f
        let weightGradient = FloatBuffer(count: h * f)
        let biasGradient = FloatBuffer(count: h)
        guard rows > 0 else { return (weightGradient, biasGradient) }
        BLAS.gemm(transA: true, m: h, n: f, k: rows, a: embeddedGradient.pointer, lda: h, b: normalized.pointer,
                         ldb: f, c: weightGradient.pointer, ldc: f, workers: Parallel.workers)
        RowKernels.addColumnSums(of: embeddedGradient.pointer, rowCount: rows, width: h, into: biasGradient.pointer)
        return (weightGradient, biasGradient)
    }

    /// f̂ of several images' regions, stacked in order `[ΣR, F]` (image k's regions are rows
    /// k·R ..< (k + 1)·R when all have R).
    func normalize(_ images: [Tensor]) -> FloatBuffer {
        let f = featureSize
        var firstRows = [0]
        for image in images {
            precondition(image.shape.count == 2 && image.shape[1] == f,
                         "region features must be [R, \(f)], got \(image.shape)")
            firstRows.append(firstRows.last! + image.shape[0])
        }
        let normalized = FloatBuffer(count: firstRows.last! * f, zeroed: false)
        let workers = min(Parallel.workers, images.count)
        Parallel.forEach(workers) { worker in
            for index in stride(from: worker, to: images.count, by: workers) {
                images[index].data.withUnsafeBufferPointer { source in
                    for r in 0..<images[index].shape[0] {
                        let input = source.baseAddress! + r * f, target = normalized.pointer + (firstRows[index] + r) * f
                        let scale = 1 / max(RowKernels.dot(input, input, count: f).squareRoot(), 1e-6)
                        target.update(from: input, count: f)
                        RowKernels.scale(target, by: scale, count: f)
                    }
                }
            }
        }
        return normalized
    }

    /// u_t = W_mᵀ s_t `[N, F]` and b_mᵀ s_t `[N]` for words s `[N, h]`: then
    /// v_iᵀ s_t = f̂_iᵀ u_t + b_mᵀ s_t.
    func projectWords(_ words: UnsafePointer<Float>, count n: Int) -> (projected: FloatBuffer, offsets: [Float]) {
        let f = featureSize, h = hiddenSize
        let projected = FloatBuffer(count: n * f, zeroed: false)
        var offsets = [Float](repeating: 0, count: n)
        guard n > 0 else { return (projected, offsets) }
        withBaseAddresses([weight.data, bias.data]) { p in
            BLAS.gemm(m: n, n: f, k: h, a: words, lda: h, b: p[0], ldb: f, c: projected.pointer, ldc: f, workers: Parallel.workers)
            for t in 0..<n { offsets[t] = RowKernels.dot(words + t * h, p[1], count: h) }
        }
        return (projected, offsets)
    }

    /// The backward pass of `projectWords`, given ∂C/∂u (`projectedGradient`, `[N, F]`) and
    /// ∂C/∂(b_mᵀ s_t) (`offsetGradient`, `[N]`):
    ///
    ///     ∂C/∂s   = ∂C/∂u W_mᵀ + ∂C/∂offset ⊗ b_m       [N, h]
    ///     ∂C/∂W_m = sᵀ ∂C/∂u                            [h, F]
    ///     ∂C/∂b_m = sᵀ ∂C/∂offset                       [h]
    ///
    func backwardProjection(words: UnsafePointer<Float>, count n: Int, projectedGradient: FloatBuffer,
                            offsetGradient: [Float]) -> (words: FloatBuffer, weight: FloatBuffer, bias: FloatBuffer) {
        let f = featureSize, h = hiddenSize
        let wordGradient = FloatBuffer(count: n * h, zeroed: false)
        let weightGradient = FloatBuffer(count: h * f)
        let biasGradient = FloatBuffer(count: h)
        guard n > 0 else { return (wordGradient, weightGradient, biasGradient) }
        withBaseAddresses([weight.data, bias.data]) { p in
            BLAS.gemm(transB: true, m: n, n: h, k: f, a: projectedGradient.pointer, lda: f, b: p[0], ldb: f,
                             c: wordGradient.pointer, ldc: h, workers: Parallel.workers)
            BLAS.gemm(transA: true, m: h, n: f, k: n, a: words, lda: h, b: projectedGradient.pointer, ldb: f,
                             c: weightGradient.pointer, ldc: f, workers: Parallel.workers)
            for t in 0..<n {
                RowKernels.addScaled(offsetGradient[t], p[1], to: wordGradient.pointer + t * h, count: h)
                RowKernels.addScaled(offsetGradient[t], words + t * h, to: biasGradient.pointer, count: h)
            }
        }
        return (wordGradient, weightGradient, biasGradient)
    }
}
