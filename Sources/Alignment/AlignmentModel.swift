import Encoder
import Formats
import Tensors

/// The image–sentence alignment model of Karpathy & Fei-Fei, "Deep Visual-Semantic Alignments
/// for Generating Image Descriptions" (CVPR 2015), §3.1: image regions and sentence words are
/// mapped into one h-dimensional space, and an image–sentence pair scores
///
///     S_kl = Σ_{t ∈ g_l} max_{i ∈ g_k} v_iᵀ s_t                               (eq. 8)
///
/// with v_i = W_m f̂_i + b_m the regions of image k (`RegionEmbedding`, `[R, h]`: pool5's 49 or
/// conv5_3's 196 cells and the whole image, `AlignmentConfig.regionGrid`) and s_t the word
/// vectors of sentence l (`SentenceEncoder`, `[T, h]`: the paper's BRNN, or a bidirectional GRU
/// or LSTM). With `normalizesEmbeddings` both are L2-normalized first, so each product is a
/// cosine. Training minimizes the bidirectional ranking loss of eq. 9, or VSE++'s max of hinges
/// (`RankingLoss`), plus λ‖θ‖², with gradients written out by hand (`loss(regions:sentences:negatives:)`).
///
/// The parameters are a plain dictionary (`AlignmentParameter` lists names and shapes), so a
/// caller saves and loads them as safetensors and updates them with any optimizer.
public struct AlignmentModel: Sendable {
    /// The paper's name for the hyperparameters.
    public typealias Config = AlignmentConfig

    /// Sizes (which the parameters' shapes must match) and training hyperparameters.
    public let config: AlignmentConfig
    /// Every `AlignmentParameter`, by name. An optimizer may update the values in place; the
    /// shapes must stay as they are.
    public var parameters: [String: Tensor]

    /// A freshly initialized model (see `AlignmentParameter` for the scales), reproducible from
    /// `seed`. `wordEmbedding` `[V, E]`, e.g. the captioner's trained embedding, replaces the
    /// random word vectors.
    public init(config: AlignmentConfig, seed: UInt64 = 0, wordEmbedding: Tensor? = nil) {
        var generator = SplitMix64(seed: seed)
        var parameters: [String: Tensor] = [:]
        for parameter in AlignmentParameter.all(for: config) {
            parameters[parameter.name] = parameter.randomTensor(config, generator: &generator)
        }
        if let wordEmbedding {
            precondition(wordEmbedding.shape == AlignmentParameter.wordEmbedding.shape(config),
                         "word embedding \(wordEmbedding.shape) doesn't match [V, E] = \(AlignmentParameter.wordEmbedding.shape(config))")
            parameters[AlignmentParameter.wordEmbedding.name] = wordEmbedding
        }
        self.config = config
        self.parameters = parameters
    }

    /// A model from saved parameters, checked against `config`: every name of
    /// `AlignmentParameter.all(for: config)` present, none extra, every shape as
    /// `AlignmentParameter.shape` says.
    public init(config: AlignmentConfig, parameters: [String: Tensor]) throws(ParameterError) {
        let expected = AlignmentParameter.all(for: config)
        for parameter in expected {
            guard let tensor = parameters[parameter.name] else { throw .missingParameter(parameter.name) }
            guard tensor.shape == parameter.shape(config) else {
                throw .wrongShape(parameter.name, expected: parameter.shape(config), found: tensor.shape)
            }
        }
        let names = Set(expected.map(\.name))
        if let extra = parameters.keys.sorted().first(where: { !names.contains($0) }) {
            throw .unexpectedParameter(extra)
        }
        self.config = config
        self.parameters = parameters
    }

    /// A model from saved parameters alone: V and E are read from `words.embedding`, h and F from
    /// `region.weight`, the sentence encoder from the `sentence.*` names (and G·h rows of a gated
    /// cell's input weight); the training hyperparameters are given.
    public init(parameters: [String: Tensor], margin: Float = 1, regularization: Float = AlignmentConfig.defaultRegularization) throws(ParameterError) {
        for parameter in [AlignmentParameter.wordEmbedding, .regionWeight] {
            guard let tensor = parameters[parameter.name] else { throw .missingParameter(parameter.name) }
            guard tensor.shape.count == 2, tensor.shape.allSatisfy({ $0 > 0 }) else {
                throw .wrongShape(parameter.name, expected: [-1, -1], found: tensor.shape)
            }
        }
        let embedding = parameters[AlignmentParameter.wordEmbedding.name]!.shape
        let region = parameters[AlignmentParameter.regionWeight.name]!.shape
        let encoder = try AlignmentParameter.encoderKind(of: parameters, hiddenSize: region[0])
        let config = AlignmentConfig(vocabularySize: embedding[0], featureSize: region[1], wordSize: embedding[1],
                                     hiddenSize: region[0], margin: margin, regularization: regularization,
                                     sentenceEncoder: encoder)
        try self.init(config: config, parameters: parameters)
    }

    /// The image side, W_m and b_m.
    public var regionEmbedding: RegionEmbedding { RegionEmbedding(parameters: checkedParameters()) }
    /// The sentence side: W_w, the recurrent core `config.sentenceEncoder` and the output layer.
    public var sentenceEncoder: SentenceEncoder { SentenceEncoder(config: config, parameters: checkedParameters()) }

    /// v for one image: regions `[R, F]` (e.g. `ImageRegions.from`) → `[R, h]`, unit rows when
    /// the config normalizes embeddings.
    public func embedRegions(_ regions: Tensor) -> Tensor {
        let v = regionEmbedding(regions)
        return config.normalizesEmbeddings ? RowNormalization.normalized(v) : v
    }

    /// The regions this model reads of a photo's features (`AlignmentConfig.regionGrid`), or nil
    /// when the features lack them (conv5_3 from a cache made before it was kept).
    public func regions(of features: EncoderFeatures) -> Tensor? {
        features.regions(grid: config.regionGrid)
    }

    /// s for one sentence: word ids `[T]` → `[T, h]`.
    public func embedSentence(_ sentence: [Int]) -> Tensor {
        embedSentences([sentence])[0]
    }

    /// s for many sentences, run through the sentence encoder a batch at a time (for retrieval).
    public func embedSentences(_ sentences: [[Int]], batchSize: Int = 256) -> [Tensor] {
        let encoder = sentenceEncoder
        let embedded = stride(from: 0, to: sentences.count, by: batchSize).flatMap { start in
            encoder(Array(sentences[start..<min(sentences.count, start + batchSize)]))
        }
        return config.normalizesEmbeddings ? embedded.map(RowNormalization.normalized) : embedded
    }

    /// The score of one (image, sentence) pair and which region each word aligns with.
    public func score(regions: Tensor, sentence: [Int]) -> PairAlignment {
        Self.align(regionEmbeddings: embedRegions(regions), sentenceEmbedding: embedSentence(sentence))
    }

    /// `score` from precomputed embeddings v `[R, h]` and s `[T, h]`: one GEMM, then a max per word.
    public static func align(regionEmbeddings v: Tensor, sentenceEmbedding s: Tensor) -> PairAlignment {
        precondition(v.shape.count == 2 && s.shape.count == 2 && v.shape[1] == s.shape[1] && v.shape[0] > 0,
                     "align expects v [R, h] and s [T, h], got \(v.shape) and \(s.shape)")
        let words = s.shape[0], regions = v.shape[0]
        let grid = PairAlignment.grid(regionCount: regions)
        guard words > 0 else { return PairAlignment(raw: 0, normalized: 0, alignment: [], wordScores: [], regionGrid: grid) }
        let products = s.matmul(v, transposeOther: true)  // [T, R]
        var alignment = [Int](), wordScores = [Float]()
        products.data.withUnsafeBufferPointer { products in
            for t in 0..<words {
                let (score, region) = WordRegionProducts.bestRegion(products.baseAddress! + t * regions,
                                                                    regionsPerImage: regions)
                alignment.append(region)
                wordScores.append(score)
            }
        }
        let raw = wordScores.reduce(0, +)
        return PairAlignment(raw: raw, normalized: raw / Float(words), alignment: alignment, wordScores: wordScores,
                             regionGrid: grid)
    }

    /// The ranking loss of a minibatch of B corresponding pairs (image k, sentence k), plus λ‖θ‖²,
    /// and its gradient with respect to every parameter.
    ///
    /// - Parameters:
    ///   - regions: B images' region features, each `[R, F]` with the same R (50 for
    ///     `ImageRegions`).
    ///   - sentences: B sentences of word ids (no `<start>`/`<end>`).
    ///   - negatives: which rivals each pair is ranked against (`RankingLoss.Negatives`).
    public func loss(regions: [Tensor], sentences: [[Int]], negatives: RankingLoss.Negatives = .all) -> AlignmentLoss {
        precondition(regions.count == sentences.count && !regions.isEmpty,
                     "loss needs B ≥ 1 images and as many sentences, got \(regions.count) and \(sentences.count)")
        let batch = regions.count, regionCount = regions[0].shape[0]
        precondition(regionCount > 0 && regions.allSatisfy { $0.shape.first == regionCount },
                     "every image of a batch needs the same number of regions")
        let parameters = checkedParameters()
        let regionEmbedding = RegionEmbedding(parameters: parameters)
        let encoder = SentenceEncoder(config: config, parameters: parameters)

        // Forward: f̂ [B·R, F], s [N, h], then all B × B scores.
        let normalized = regionEmbedding.normalize(regions)
        let packed = PackedSentences(sentences)
        let activations = encoder.forward(packed)
        let scoring = BatchScoring(embedding: regionEmbedding, normalized: normalized, regionsPerImage: regionCount,
                                   words: activations.output, packed: packed, space: config.scoreSpace,
                                   normalizesEmbeddings: config.normalizesEmbeddings)
        let scoreMatrix = Tensor(shape: [batch, batch], data: scoring.scores)
        let (ranking, scoreGradient) = RankingLoss.evaluate(scores: scoreMatrix, margin: config.margin, negatives: negatives)

        // Backward: through the max to s and (W_m, b_m), then through the BRNN.
        let (wordGradient, weightGradient, biasGradient) = scoring.backward(scoreGradient: scoreGradient.data)
        var buffers = encoder.backward(activations, outputGradient: wordGradient)
        buffers[.regionWeight] = weightGradient
        buffers[.regionBias] = biasGradient

        // λ‖W‖² adds 2λW to each regularized tensor's gradient.
        let lambda = config.regularization
        var squaredNorm: Double = 0
        var gradients: [String: Tensor] = [:]
        for parameter in AlignmentParameter.all(for: config) {
            let value = parameters[parameter.name]!
            let buffer = buffers[parameter]!
            if parameter.isRegularized {
                value.data.withUnsafeBufferPointer { theta in
                    squaredNorm += Double(RowKernels.dot(theta.baseAddress!, theta.baseAddress!, count: theta.count))
                    RowKernels.addScaled(2 * lambda, theta.baseAddress!, to: buffer.pointer, count: theta.count)
                }
            }
            gradients[parameter.name] = buffer.tensor(shape: value.shape)
        }
        let regularization = lambda * Float(squaredNorm)
        return AlignmentLoss(total: ranking + regularization, ranking: ranking, regularization: regularization,
                             scores: scoreMatrix, gradients: gradients)
    }

    /// `parameters`, after checking (cheaply, by shape) that an update kept them usable.
    private func checkedParameters() -> [String: Tensor] {
        for parameter in AlignmentParameter.all(for: config) {
            precondition(parameters[parameter.name]?.shape == parameter.shape(config),
                         "alignment parameter '\(parameter.name)' is missing or was reshaped")
        }
        return parameters
    }
}
