import Formats
import Tensors

/// The recurrent caption decoder of Show and Tell (Vinyals et al. 2015), as in NeuralTalk.
///
/// For a caption of L words w₁…w_L and an image vector v `// [F]`, the cell reads
///
///     x₀ = v · W_I + b_I                        // image step: its output is never scored
///     x₁ = W_e[<start>]   x_{k+1} = W_e[w_k]    // k = 1…L
///
/// and the output of each step after the image step predicts the next token:
///
///     p(· | step t) = softmax(dropout(h_t) · W_o + b_o)     // [H] × [H, V] → [V]
///
/// so `<start>`'s step predicts w₁, w_k's step predicts w_{k+1}, and w_L's predicts `<end>`:
/// L + 1 scored tokens. With `Config.textOnly` there is no image step and the state starts at
/// zero (a plain language model). Dropout (inverted) applies to every step input x_t and to h_t
/// before the output layer, only in training.
///
/// Parameters (names as in `parameters`):
///
///     embed                  [V, E]       word embedding W_e
///     imageProjection.weight [F, E]       W_I   (absent when textOnly)
///     imageProjection.bias   [E]          b_I   (absent when textOnly)
///     <cell>.weight          [E+H, G·H]   fused gate weight, e.g. lstm.weight
///     <cell>.bias            [G·H]
///     logits.weight          [H, V]       W_o
///     logits.bias            [V]          b_o
///
/// Token ids: 0 `<end>` (also the padding id), 1 `<start>`, 2 `<unk>`, words from 3.
public struct CaptionModel: Sendable {
    /// `<end>`: closes a caption; also the id padding uses.
    public static let endToken = 0
    /// `<start>`: the input that asks for the first word.
    public static let startToken = 1
    /// `<unk>`: out-of-vocabulary words; trained on, never emitted by the decoders.
    public static let unknownToken = 2
    /// The first id of a real word.
    public static let firstWordToken = 3

    /// Parameter names (keys of `parameters` and of the gradients); the cell's are
    /// `"<kind>.weight"` and `"<kind>.bias"` (`LSTMCell.weightName`, …).
    public static let embedName = "embed"
    public static let imageProjectionWeightName = "imageProjection.weight"
    public static let imageProjectionBiasName = "imageProjection.bias"
    public static let logitsWeightName = "logits.weight"
    public static let logitsBiasName = "logits.bias"

    public let config: Config
    /// Every parameter by name; shapes as `parameterShapes(for: config)`. An optimizer updates
    /// these in place (`optimizer.step(&model.parameters, gradients: g)`); it must keep shapes.
    public var parameters: [String: Tensor]

    /// A fresh model: weights uniform in (−initScale, initScale), drawn in the order embed,
    /// imageProjection, cell, logits; biases zero except the LSTM forget gate (1).
    public init(config: Config, rng: inout SplitMix64) {
        config.validate()
        guard config.decoder == .showTell else {
            self.config = config
            parameters = Self.freshAttentionParameters(config, rng: &rng)
            return
        }
        let v = config.vocabularySize, e = config.embeddingSize, h = config.hiddenSize
        let scale = config.initScale
        var parameters: [String: Tensor] = [:]
        parameters[Self.embedName] = .uniform(shape: [v, e], scale: scale, rng: &rng)
        if !config.textOnly {
            parameters[Self.imageProjectionWeightName] = .uniform(shape: [config.featureSize, e], scale: scale, rng: &rng)
            parameters[Self.imageProjectionBiasName] = Tensor(shape: [e])
        }
        let cell = config.cell.makeCell(inputSize: e, hiddenSize: h, initScale: scale, rng: &rng)
        parameters.merge(cell.parameters) { $1 }
        parameters[Self.logitsWeightName] = .uniform(shape: [h, v], scale: scale, rng: &rng)
        parameters[Self.logitsBiasName] = Tensor(shape: [v])
        self.config = config
        self.parameters = parameters
    }

    /// Wraps parameters loaded from a checkpoint. Throws if one is missing, extra or misshapen.
    public init(config: Config, parameters: [String: Tensor]) throws(ParameterError) {
        config.validate()
        let shapes = Self.parameterShapes(for: config)
        for (name, shape) in shapes.sorted(by: { $0.key < $1.key }) {
            guard let tensor = parameters[name] else { throw .missingParameter(name) }
            guard tensor.shape == shape else { throw .wrongShape(name, expected: shape, found: tensor.shape) }
        }
        if let extra = parameters.keys.sorted().first(where: { shapes[$0] == nil }) {
            throw .unexpectedParameter(extra)
        }
        self.config = config
        self.parameters = parameters
    }

    /// The shape of every parameter a model with `config` has, by name.
    public static func parameterShapes(for config: Config) -> [String: [Int]] {
        guard config.decoder == .showTell else {
            return Dictionary(uniqueKeysWithValues: attentionParameterShapes(for: config).map { ($0.key, $0.value) })
        }
        let v = config.vocabularySize, e = config.embeddingSize, h = config.hiddenSize
        let g = config.cell.gateCount, kind = config.cell.rawValue
        var shapes: [String: [Int]] = [
            embedName: [v, e],
            "\(kind).weight": [e + h, g * h], "\(kind).bias": [g * h],
            logitsWeightName: [h, v], logitsBiasName: [v],
        ]
        if !config.textOnly {
            shapes[imageProjectionWeightName] = [config.featureSize, e]
            shapes[imageProjectionBiasName] = [e]
        }
        return shapes
    }

    /// Number of scalars: `V·E + [F·E + E] + (E+H)·G·H + G·H + H·V + V`, the bracket absent
    /// when textOnly.
    public static func parameterCount(for config: Config) -> Int {
        guard config.decoder == .showTell else {
            return attentionParameterShapes(for: config).reduce(0) { $0 + $1.value.reduce(1, *) }
        }
        let v = config.vocabularySize, e = config.embeddingSize, h = config.hiddenSize
        let f = config.featureSize, g = config.cell.gateCount
        let image = config.textOnly ? 0 : f * e + e
        return v * e + image + (e + h) * g * h + g * h + h * v + v
    }

    /// Number of scalars in `parameters`.
    public var parameterCount: Int { parameters.values.reduce(0) { $0 + $1.count } }

    /// The cell viewing this model's cell parameters (no copy: tensors share storage).
    var cell: any SequenceCell {
        let kind = config.cell.rawValue
        // The attention decoder's LSTM reads the word and the attended context.
        let inputSize = config.embeddingSize + (config.decoder == .attention ? config.featureSize : 0)
        return config.cell.makeCell(inputSize: inputSize,
                                    weight: parameters["\(kind).weight"]!, bias: parameters["\(kind).bias"]!)
    }

    /// Checks a caption's ids are trainable words (no specials other than `<unk>`).
    func validateWords(_ words: [Int]) {
        for w in words {
            precondition(w >= Self.unknownToken && w < config.vocabularySize,
                         "caption token \(w) is not a word id in \(Self.unknownToken)..<\(config.vocabularySize)")
        }
    }
}

extension CellKind {
    /// A cell of this kind over existing parameters.
    func makeCell(inputSize: Int, weight: Tensor, bias: Tensor) -> any SequenceCell {
        switch self {
        case .lstm: LSTMCell(inputSize: inputSize, weight: weight, bias: bias)
        case .gru: GRUCell(inputSize: inputSize, weight: weight, bias: bias)
        case .rnn: RNNCell(inputSize: inputSize, weight: weight, bias: bias)
        }
    }

    /// A fresh cell of this kind.
    func makeCell(inputSize: Int, hiddenSize: Int, initScale: Float, rng: inout SplitMix64) -> any RecurrentCell {
        switch self {
        case .lstm: LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, initScale: initScale, rng: &rng)
        case .gru: GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, initScale: initScale, rng: &rng)
        case .rnn: RNNCell(inputSize: inputSize, hiddenSize: hiddenSize, initScale: initScale, rng: &rng)
        }
    }
}
