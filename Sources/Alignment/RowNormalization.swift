import Tensors

/// Unit-length rows, for embeddings compared by cosine (`AlignmentConfig.normalizesEmbeddings`):
///
///     ŷ_r = y_r / n_r,   n_r = max(‖y_r‖₂, ε)                      [rows, d]   ε = 1e-6
///     ∂C/∂y_r = (∂C/∂ŷ_r − ŷ_r (ŷ_rᵀ ∂C/∂ŷ_r)) / n_r
///
/// The gradient has no component along ŷ_r: lengthening a vector changes no cosine. (Below ε
/// the map is y/ε; only an all-zero ReLU output gets there, and its gradient is masked anyway.)
struct RowNormalization {
    /// ŷ `[rows, d]`.
    let output: FloatBuffer
    /// 1 / n_r.
    private let inverseNorms: [Float]
    let width: Int

    init(_ rows: UnsafePointer<Float>, count: Int, width d: Int) {
        width = d
        let output = FloatBuffer(count: count * d, zeroed: false)
        var inverse = [Float](repeating: 0, count: count)
        for r in 0..<count {
            let row = rows + r * d
            inverse[r] = 1 / max(RowKernels.dot(row, row, count: d).squareRoot(), 1e-6)
            let target = output.pointer + r * d
            target.update(from: row, count: d)
            RowKernels.scale(target, by: inverse[r], count: d)
        }
        self.output = output
        inverseNorms = inverse
    }

    /// ∂C/∂y from ∂C/∂ŷ (`gradient`, `[rows, d]`, overwritten in place).
    func backward(_ gradient: UnsafeMutablePointer<Float>) {
        let d = width
        for r in inverseNorms.indices {
            let g = gradient + r * d, unit = UnsafePointer(output.pointer + r * d)
            let along = RowKernels.dot(unit, g, count: d)
            RowKernels.addScaled(-along, unit, to: g, count: d)
            RowKernels.scale(g, by: inverseNorms[r], count: d)
        }
    }

    /// ŷ of a `[rows, d]` tensor.
    static func normalized(_ tensor: Tensor) -> Tensor {
        precondition(tensor.shape.count == 2, "RowNormalization expects [rows, d], got \(tensor.shape)")
        return tensor.data.withUnsafeBufferPointer { data in
            RowNormalization(data.baseAddress!, count: tensor.shape[0], width: tensor.shape[1])
                .output.tensor(shape: tensor.shape)
        }
    }
}
