import Tensors

/// The Show, Attend and Tell decoder (Xu et al. 2015, soft attention): a `CaptionModel` whose
/// `config.decoder` is `.attention`. Instead of reading one image vector before the words, it
/// looks again at the image's L regions at every word, weighting them by where the words so
/// far say to look. For regions a_1…a_L `// [L, F]` (pool5's 7 × 7 cells) and words
/// w_1…w_T:
///
///     [h₀, c₀] = tanh(ā · W_init + b_init)        ā = (1/L) Σ_i a_i          // [2H]
///     x_t = W_e[w_{t−1}]                            w₀ = <start>              // [E]
///     ẑ_t = attention(h_{t−1}, a)                   (`SoftAttention`)          // [F]
///     h_t, c_t = LSTM([x_t, ẑ_t], h_{t−1}, c_{t−1})                           // input E + F
///     u_t = tanh(x_t + h_t · L_h + ẑ_t · L_z)       the deep output layer    // [E]
///     p(w_t | w_{<t}, a) = softmax(dropout(u_t) · W_o + b_o)                  // [V]
///
/// so the step reading w_{t−1} predicts w_t, and the step reading w_T predicts `<end>`: T + 1
/// scored steps, each attending. Training adds the doubly stochastic penalty
/// λ Σ_i (1 − Σ_t α_ti)² per caption (`Config.attentionPenalty`). Dropout (training only) applies
/// to x_t and to u_t.
///
/// Parameters (names as in `parameters`):
///
///     embed                    [V, E]          W_e
///     attention.keys.weight    [F, A]          W_a     keys k_i = a_i · W_a + b_a
///     attention.keys.bias      [A]             b_a
///     attention.query.weight   [H, A + F]      W_q     [q, g] = h_{t−1} · W_q
///     attention.gate.bias      [F]             b_g     β = σ(g + b_g)
///     attention.score          [A]             w       e_i = w · tanh(k_i + q)
///     init.weight              [F, 2H]         W_init
///     init.bias                [2H]            b_init
///     lstm.weight              [E + F + H, 4H]
///     lstm.bias                [4H]
///     output.hidden            [H, E]          L_h
///     output.context           [F, E]          L_z
///     logits.weight            [E, V]          W_o
///     logits.bias              [V]             b_o
extension CaptionModel {
    public static let attentionKeysWeightName = "attention.keys.weight"
    public static let attentionKeysBiasName = "attention.keys.bias"
    public static let attentionQueryWeightName = "attention.query.weight"
    public static let attentionGateBiasName = "attention.gate.bias"
    public static let attentionScoreName = "attention.score"
    public static let initialStateWeightName = "init.weight"
    public static let initialStateBiasName = "init.bias"
    public static let outputHiddenName = "output.hidden"
    public static let outputContextName = "output.context"

    /// Every parameter of an attention model by name, in the order fresh weights are drawn.
    static func attentionParameterShapes(for config: Config) -> KeyValuePairs<String, [Int]> {
        let v = config.vocabularySize, e = config.embeddingSize, h = config.hiddenSize
        let f = config.featureSize, a = config.attentionSize
        return [
            embedName: [v, e],
            attentionKeysWeightName: [f, a], attentionKeysBiasName: [a],
            attentionQueryWeightName: [h, a + f], attentionGateBiasName: [f],
            attentionScoreName: [a],
            initialStateWeightName: [f, 2 * h], initialStateBiasName: [2 * h],
            LSTMCell.weightName: [e + f + h, 4 * h], LSTMCell.biasName: [4 * h],
            outputHiddenName: [h, e], outputContextName: [f, e],
            logitsWeightName: [e, v], logitsBiasName: [v],
        ]
    }

    /// Fresh attention weights: matrices and w uniform in (−initScale, initScale) (W_a in a
    /// tenth of that), biases zero except the LSTM forget gate (1).
    static func freshAttentionParameters(_ config: Config, rng: inout SplitMix64) -> [String: Tensor] {
        var parameters: [String: Tensor] = [:]
        for (name, shape) in attentionParameterShapes(for: config) {
            let isBias = name.hasSuffix(".bias")
            parameters[name] = isBias ? Tensor(shape: shape) : .uniform(shape: shape, scale: config.initScale, rng: &rng)
        }
        parameters[LSTMCell.biasName] = LSTMCell.initialBias(hiddenSize: config.hiddenSize)
        // W_a is drawn again, last, at a tenth of the scale: pool5 cells on an object reach many standard
        // deviations, so full-scale keys would saturate tanh(k + q) there, the query could not
        // move their scores, and attention would settle around objects instead of on them.
        parameters[attentionKeysWeightName] = .uniform(shape: [config.featureSize, config.attentionSize],
                                                       scale: config.initScale / 10, rng: &rng)
        return parameters
    }

    /// The attention kernel over this model's w and b_g, valid inside `body`.
    func withSoftAttention<Result>(_ body: (SoftAttention) -> Result) -> Result {
        parameters[Self.attentionScoreName]!.data.withUnsafeBufferPointer { score in
            parameters[Self.attentionGateBiasName]!.data.withUnsafeBufferPointer { gateBias in
                body(SoftAttention(regionCount: config.regionCount, featureSize: config.featureSize,
                                   attentionSize: config.attentionSize, score: score.baseAddress!,
                                   gateBias: gateBias.baseAddress!))
            }
        }
    }

    /// h₀, c₀ from the mean region, and the keys of every region, for images `// [B, L·F]`.
    func attentionInitialState(images: Tensor) -> RecurrentState {
        let l = config.regionCount, f = config.featureSize, h = config.hiddenSize, b = images.shape[0]
        var mean = Tensor(shape: [b, f])
        images.data.withUnsafeBufferPointer { a in
            mean.data.withUnsafeMutableBufferPointer {
                SoftAttention.meanRegions(a.baseAddress!, images: b, regionCount: l, featureSize: f, into: $0.baseAddress!)
            }
        }
        let projected = BatchMath.affine(mean, parameters[Self.initialStateWeightName]!, parameters[Self.initialStateBiasName]!)
        let initial = Tensor(shape: projected.shape, data: projected.data.map(BatchMath.tanh))
        let keys = BatchMath.affine(images.reshaped([b * l, f]), parameters[Self.attentionKeysWeightName]!,
                                    parameters[Self.attentionKeysBiasName]!)
        return RecurrentState(hidden: initial.columns(0..<h), memory: initial.columns(h..<(2 * h)),
                              images: AttendedImages(regions: [images], keys: [keys.reshaped([b, l * config.attentionSize])],
                                                     imageOfRow: Array(0..<b)))
    }

    /// One attention step for B rows: reads `tokens[b]` into row b; returns the next state,
    /// log p(next token) `// [B, V]` and each row's attention α `// [B, L]`.
    public func attentionStep(_ state: RecurrentState, tokens: [Int])
        -> (state: RecurrentState, logProbs: Tensor, attention: Tensor) {
        guard let images = state.images, let memory = state.memory else {
            preconditionFailure("an attention decoder's state carries its images and memory")
        }
        let rows = state.batchSize, e = config.embeddingSize, f = config.featureSize, h = config.hiddenSize
        let l = config.regionCount, a = config.attentionSize, width = e + f
        let x = parameters[Self.embedName]!.selectingRows(tokens)                       // [B, E]
        var input = [Float](repeating: 0, count: rows * width)                            // [x, ẑ] [B, E + F]
        var alpha = [Float](repeating: 0, count: rows * l)
        var context = [Float](repeating: 0, count: rows * f), gate = [Float](repeating: 0, count: rows * f)
        var queries = [Float](repeating: 0, count: rows * (a + f))
        withSoftAttention { attention in
            withBaseAddresses([state.hidden.data, parameters[Self.attentionQueryWeightName]!.data, images.regions[0].data,
                               images.keys[0].data, x.data]) { p in
                BLAS.gemm(m: rows, n: a + f, k: h, a: p[0], lda: h, b: p[1], ldb: a + f, c: &queries, ldc: a + f)
                input.withUnsafeMutableBufferPointer { input in
                    for r in 0..<rows { (input.baseAddress! + r * width).update(from: p[4] + r * e, count: e) }
                    attention.forward(rows: rows, queries: queries, image: { r in
                        let image = images.imageOfRow[r]
                        return SoftAttention.Image(regions: p[2] + image * l * f, keys: p[3] + image * l * a)
                    }, alpha: &alpha, context: &context, gate: &gate, gated: input.baseAddress! + e, gatedStride: width,
                                      squashed: nil)
                }
            }
        }
        let cell = LSTMCell(inputSize: width, weight: parameters[LSTMCell.weightName]!, bias: parameters[LSTMCell.biasName]!)
        var next = cell.forward(Tensor(shape: [rows, width], data: input),
                                state: RecurrentState(hidden: state.hidden, memory: memory)).state
        next.images = images
        // u = tanh(x + h·L_h + ẑ·L_z), then the logits.
        var output = x.data
        withBaseAddresses([next.hidden.data, parameters[Self.outputHiddenName]!.data, input,
                           parameters[Self.outputContextName]!.data]) { p in
            BLAS.gemm(m: rows, n: e, k: h, a: p[0], lda: h, b: p[1], ldb: e, beta: 1, c: &output, ldc: e)
            BLAS.gemm(m: rows, n: e, k: f, a: p[2] + e, lda: width, b: p[3], ldb: e, beta: 1, c: &output, ldc: e)
        }
        let deep = Tensor(shape: [rows, e], data: output.map(BatchMath.tanh))
        let logits = BatchMath.affine(deep, parameters[Self.logitsWeightName]!, parameters[Self.logitsBiasName]!)
        return (next, logits.logSoftmax(), Tensor(shape: [rows, l], data: alpha))
    }

    /// Where the model looks for each word of `words` and for the `<end>` after them, as it
    /// reads them (teacher forcing): `words.count + 1` maps of L weights summing to 1, region-
    /// major as `feature` lays its regions out.
    ///
    /// - Parameter feature: one image's regions `// [L·F]`.
    public func attention(of words: [Int], feature: Tensor) -> [[Float]] {
        precondition(config.decoder == .attention, "only an attention decoder has attention maps")
        var state = initialState(feature: feature)
        var maps: [[Float]] = []
        for token in [Self.startToken] + words {
            let step = attentionStep(state, tokens: [token])
            maps.append(step.attention.data)
            state = step.state
        }
        return maps
    }
}
