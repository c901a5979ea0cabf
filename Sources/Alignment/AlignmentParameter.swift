import Tensors

/// The named tensors of an `AlignmentModel`, as stored in its `[String: Tensor]` parameter
/// dictionary (and in a safetensors file). Matrices are `[out, in]`, the layout of `Linear`.
///
///     region.weight          W_m  [h, F]    v_i = W_m f̂_i + b_m                   (paper eq. 1)
///     region.bias            b_m  [h]
///     words.embedding        W_w  [V, E]    x_t = W_w 𝕀_t (row of the word's id)   (eq. 2)
///     sentence.input.weight  W_e  [h, E]    e_t = ReLU(W_e x_t + b_e)              (eq. 3)
///     sentence.input.bias    b_e  [h]
///     sentence.forward.weight  W_f [h, h]   h_t^f = ReLU(e_t + W_f h_{t−1}^f + b_f) (eq. 4)
///     sentence.forward.bias    b_f [h]
///     sentence.backward.weight W_b [h, h]   h_t^b = ReLU(e_t + W_b h_{t+1}^b + b_b) (eq. 5)
///     sentence.backward.bias   b_b [h]
///     sentence.output.weight W_d  [h, h]    s_t = ReLU(W_d (h_t^f + h_t^b) + b_d)  (eq. 6)
///     sentence.output.bias   b_d  [h]
public enum AlignmentParameter: String, CaseIterable, Sendable {
    case regionWeight = "region.weight"
    case regionBias = "region.bias"
    case wordEmbedding = "words.embedding"
    case inputWeight = "sentence.input.weight"
    case inputBias = "sentence.input.bias"
    case forwardWeight = "sentence.forward.weight"
    case forwardBias = "sentence.forward.bias"
    case backwardWeight = "sentence.backward.weight"
    case backwardBias = "sentence.backward.bias"
    case outputWeight = "sentence.output.weight"
    case outputBias = "sentence.output.bias"

    /// The dictionary key.
    public var name: String { rawValue }

    /// The tensor's shape under `config`.
    public func shape(_ config: AlignmentConfig) -> [Int] {
        let h = config.hiddenSize
        switch self {
        case .regionWeight: return [h, config.featureSize]
        case .wordEmbedding: return [config.vocabularySize, config.wordSize]
        case .inputWeight: return [h, config.wordSize]
        case .forwardWeight, .backwardWeight, .outputWeight: return [h, h]
        case .regionBias, .inputBias, .forwardBias, .backwardBias, .outputBias: return [h]
        }
    }

    /// Whether λ‖θ‖² includes this tensor: every matrix and the embedding, no bias.
    public var isRegularized: Bool {
        switch self {
        case .regionBias, .inputBias, .forwardBias, .backwardBias, .outputBias: return false
        default: return true
        }
    }

    /// Standard deviation of the uniform initialization, chosen so that vector norms stay O(1)
    /// through the network: regions enter L2-normalized and word vectors start near unit norm,
    /// W_e uses He's √(2/fan-in), and the recurrent matrices 1/√h, whose spectral radius
    /// of about 1 (halved by the ReLU) neither explodes nor forgets within a 15-word sentence.
    /// Biases start at zero.
    func initialStandardDeviation(_ config: AlignmentConfig) -> Float {
        let h = Float(config.hiddenSize)
        switch self {
        // Unit-norm input: each output has variance σ², so σ = 1/√h gives ‖v_i‖ ≈ 1.
        case .regionWeight: return (1 / h).squareRoot()
        case .wordEmbedding: return (1 / Float(config.wordSize)).squareRoot()
        case .inputWeight: return (2 / Float(config.wordSize)).squareRoot()
        case .forwardWeight, .backwardWeight: return (1 / h).squareRoot()
        // h^f + h^b is a sum of two O(1) vectors: 1/√h rather than He's √(2/h) keeps s_t O(1).
        case .outputWeight: return (1 / h).squareRoot()
        case .regionBias, .inputBias, .forwardBias, .backwardBias, .outputBias: return 0
        }
    }

    /// A tensor of `shape(config)` drawn uniformly with `initialStandardDeviation`.
    func randomTensor(_ config: AlignmentConfig, generator: inout SplitMix64) -> Tensor {
        let shape = shape(config)
        let halfWidth = 3.0.squareRoot() * Double(initialStandardDeviation(config))
        var data = [Float](repeating: 0, count: shape.reduce(1, *))
        if halfWidth > 0 {
            for i in data.indices { data[i] = Float((generator.nextUnit() * 2 - 1) * halfWidth) }
        }
        return Tensor(shape: shape, data: data)
    }
}
