import Formats
import Tensors

/// The named tensors of an `AlignmentModel`, as stored in its `[String: Tensor]` parameter
/// dictionary (and in a safetensors file). Matrices are `[out, in]`, the layout of `Linear`.
/// Which names a model has depends on its sentence encoder (`all(for:)`); the region side, the
/// word embedding and the output layer are shared by all three.
///
///     region.weight          W_m  [h, F]    v_i = W_m f̂_i + b_m                   (paper eq. 1)
///     region.bias            b_m  [h]
///     words.embedding        W_w  [V, E]    x_t = W_w 𝕀_t (row of the word's id)   (eq. 2)
///     sentence.output.weight W_d  [h, h]    s_t = ReLU(W_d (h_t^f + h_t^b) + b_d)  (eq. 6)
///     sentence.output.bias   b_d  [h]
///
/// The paper's ReLU BRNN (`.brnn`; the names every file written before GRU and LSTM used):
///
///     sentence.input.weight    W_e [h, E]   e_t = ReLU(W_e x_t + b_e)              (eq. 3)
///     sentence.input.bias      b_e [h]
///     sentence.forward.weight  W_f [h, h]   h_t^f = ReLU(e_t + W_f h_{t−1}^f + b_f) (eq. 4)
///     sentence.forward.bias    b_f [h]
///     sentence.backward.weight W_b [h, h]   h_t^b = ReLU(e_t + W_b h_{t+1}^b + b_b) (eq. 5)
///     sentence.backward.bias   b_b [h]
///
/// A gated cell per direction (`.gru`, G = 3; `.lstm`, G = 4; `GatedRecurrence`), gate blocks
/// stacked in rows:
///
///     sentence.forward.input_weight   W_x^f [G·h, E]   a_t = W_x x_t + W_h h_prev + b
///     sentence.forward.hidden_weight  W_h^f [G·h, h]
///     sentence.forward.bias           b^f   [G·h]
///     sentence.backward.input_weight  W_x^b [G·h, E]
///     sentence.backward.hidden_weight W_h^b [G·h, h]
///     sentence.backward.bias          b^b   [G·h]
public enum AlignmentParameter: String, Sendable {
    case regionWeight = "region.weight"
    case regionBias = "region.bias"
    case wordEmbedding = "words.embedding"
    case inputWeight = "sentence.input.weight"
    case inputBias = "sentence.input.bias"
    case forwardWeight = "sentence.forward.weight"
    case forwardInputWeight = "sentence.forward.input_weight"
    case forwardHiddenWeight = "sentence.forward.hidden_weight"
    /// `[h]` in the BRNN, `[G·h]` in a gated encoder.
    case forwardBias = "sentence.forward.bias"
    case backwardWeight = "sentence.backward.weight"
    case backwardInputWeight = "sentence.backward.input_weight"
    case backwardHiddenWeight = "sentence.backward.hidden_weight"
    /// `[h]` in the BRNN, `[G·h]` in a gated encoder.
    case backwardBias = "sentence.backward.bias"
    case outputWeight = "sentence.output.weight"
    case outputBias = "sentence.output.bias"

    /// Every tensor of a model with `config`'s sentence encoder, in the order a fresh model
    /// draws them (the BRNN's is the order of the files it has always written).
    public static func all(for config: AlignmentConfig) -> [AlignmentParameter] {
        all(for: config.sentenceEncoder)
    }

    /// Every tensor of a model with this sentence encoder.
    public static func all(for encoder: SentenceEncoderKind) -> [AlignmentParameter] {
        switch encoder {
        case .brnn:
            return [.regionWeight, .regionBias, .wordEmbedding, .inputWeight, .inputBias, .forwardWeight, .forwardBias,
                    .backwardWeight, .backwardBias, .outputWeight, .outputBias]
        case .gru, .lstm:
            return [.regionWeight, .regionBias, .wordEmbedding,
                    .forwardInputWeight, .forwardHiddenWeight, .forwardBias,
                    .backwardInputWeight, .backwardHiddenWeight, .backwardBias, .outputWeight, .outputBias]
        }
    }

    /// The dictionary key.
    public var name: String { rawValue }

    /// The tensor's shape under `config`.
    public func shape(_ config: AlignmentConfig) -> [Int] {
        let h = config.hiddenSize, gates = config.sentenceEncoder.gateCount * h
        switch self {
        case .regionWeight: return [h, config.featureSize]
        case .wordEmbedding: return [config.vocabularySize, config.wordSize]
        case .inputWeight: return [h, config.wordSize]
        case .forwardWeight, .backwardWeight, .outputWeight: return [h, h]
        case .forwardInputWeight, .backwardInputWeight: return [gates, config.wordSize]
        case .forwardHiddenWeight, .backwardHiddenWeight: return [gates, h]
        case .forwardBias, .backwardBias: return [gates]
        case .regionBias, .inputBias, .outputBias: return [h]
        }
    }

    /// Whether this is a bias, which starts at zero (the LSTM's forget gate at 1) and which
    /// λ‖θ‖² leaves out.
    public var isBias: Bool {
        switch self {
        case .regionBias, .inputBias, .forwardBias, .backwardBias, .outputBias: return true
        default: return false
        }
    }

    /// Whether λ‖θ‖² includes this tensor: every matrix and the embedding, no bias.
    public var isRegularized: Bool { !isBias }

    /// Standard deviation of the uniform initialization, chosen so that vector norms stay O(1)
    /// through the network: regions enter L2-normalized and word vectors start near unit norm,
    /// W_e uses He's √(2/fan-in), and the recurrent matrices 1/√h, whose spectral radius
    /// of about 1 (halved by the ReLU) neither explodes nor forgets within a 15-word sentence.
    /// A gated cell's input matrices use √(1/E), so each gate's pre-activation starts near the
    /// linear middle of its sigmoid or tanh. Biases start at zero (see `randomTensor`).
    func initialStandardDeviation(_ config: AlignmentConfig) -> Float {
        let h = Float(config.hiddenSize), e = Float(config.wordSize)
        switch self {
        // Unit-norm input: each output has variance σ², so σ = 1/√h gives ‖v_i‖ ≈ 1.
        case .regionWeight: return (1 / h).squareRoot()
        case .wordEmbedding, .forwardInputWeight, .backwardInputWeight: return (1 / e).squareRoot()
        case .inputWeight: return (2 / e).squareRoot()
        case .forwardWeight, .backwardWeight, .forwardHiddenWeight, .backwardHiddenWeight: return (1 / h).squareRoot()
        // h^f + h^b is a sum of two O(1) vectors: 1/√h rather than He's √(2/h) keeps s_t O(1).
        case .outputWeight: return (1 / h).squareRoot()
        case .regionBias, .inputBias, .forwardBias, .backwardBias, .outputBias: return 0
        }
    }

    /// A tensor of `shape(config)`: matrices drawn uniformly with `initialStandardDeviation`,
    /// biases zero except an LSTM's forget-gate block, 1 (Gers et al. 2000; Jozefowicz et al.
    /// 2015), so its memory is kept and gradients flow through it from the first update on.
    func randomTensor(_ config: AlignmentConfig, generator: inout SplitMix64) -> Tensor {
        let shape = shape(config)
        let halfWidth = 3.0.squareRoot() * Double(initialStandardDeviation(config))
        var data = [Float](repeating: 0, count: shape.reduce(1, *))
        if halfWidth > 0 {
            for i in data.indices { data[i] = Float((generator.nextUnit() * 2 - 1) * halfWidth) }
        }
        if config.sentenceEncoder == .lstm && (self == .forwardBias || self == .backwardBias) {
            let h = config.hiddenSize
            for j in LSTMGates.forget * h..<(LSTMGates.forget + 1) * h { data[j] = 1 }
        }
        return Tensor(shape: shape, data: data)
    }

    /// The sentence encoder a parameter dictionary holds, read from its names and, for a gated
    /// encoder, the rows of `sentence.forward.input_weight` (G·h with h = `hiddenSize`).
    static func encoderKind(of parameters: [String: Tensor], hiddenSize h: Int) throws(ParameterError) -> SentenceEncoderKind {
        guard let inputWeight = parameters[AlignmentParameter.forwardInputWeight.name] else { return .brnn }
        for kind in [SentenceEncoderKind.gru, .lstm] where inputWeight.shape.first == kind.gateCount * h {
            return kind
        }
        throw .wrongShape(AlignmentParameter.forwardInputWeight.name, expected: [3 * h, -1], found: inputWeight.shape)
    }
}

extension SentenceEncoderKind {
    /// G: the gate blocks of one direction's cell, stacked in the rows of its weights
    /// (1 for the BRNN, whose single "gate" is its ReLU unit).
    public var gateCount: Int {
        switch self {
        case .brnn: 1
        case .gru: 3
        case .lstm: 4
        }
    }
}
