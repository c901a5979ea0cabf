import Encoder

/// Sizes and training hyperparameters of an `AlignmentModel` (Karpathy & Fei-Fei 2015, §3.1).
///
/// Shapes are written with V = `vocabularySize`, F = `featureSize`, E = `wordSize`,
/// h = `hiddenSize`.
public struct AlignmentConfig: Sendable, Equatable, Codable {
    /// V: number of word ids, specials included (the captioning `Vocabulary.count`): the rows of
    /// the word embedding `[V, E]`.
    public var vocabularySize: Int
    /// F: length of one region feature. 512 = VGG16 pool5 channels (the paper used 4096-d RCNN fc7).
    public var featureSize: Int
    /// E: word vector size. 512 matches the captioner's word embedding, so the BRNN can start from
    /// it (`AlignmentModel.init(config:seed:wordEmbedding:)`); the paper used 300-d word2vec.
    public var wordSize: Int
    /// h: the multimodal space both regions and words are mapped into. 512 rather than the
    /// paper's 1000: our region features are 512-d, so a linear map into more than 512 dimensions
    /// adds parameters but no rank on the image side, and every cost of a step (the B·50 × ΣT
    /// score GEMM above all) grows with h.
    public var hiddenSize: Int
    /// Δ in max(0, S_kl − S_kk + Δ): the paper's margin, 1 (paper eq. 9). Only its size relative
    /// to the scores matters early on; the scores are free to grow to meet it.
    public var margin: Float
    /// λ in λ‖θ‖², applied to the weight matrices and the word embedding (not the biases, whose
    /// size doesn't set the model's capacity). The ranking loss is a sum over the B pairs of the
    /// batch (paper eq. 9, not a mean). The default 0.05 trained the shipped aligner (batch 50:
    /// a weight decay of 2λ/B = 2e-3 on the per-pair mean loss); with early stopping on dev
    /// recall it beat 5e-3 on Flickr8k, whose 30k sentences overfit the ~3M parameters.
    public var regularization: Float
    /// λ unless told otherwise: what trained the shipped aligner.
    public static let defaultRegularization: Float = 0.05
    /// Which network turns a sentence's words into the vectors s_t (`SentenceEncoderKind`): the
    /// paper's ReLU BRNN, or a bidirectional GRU or LSTM. A file without it holds a BRNN.
    public var sentenceEncoder: SentenceEncoderKind
    /// Whether v_i and s_t are L2-normalized before their products, so each word–region
    /// product is a cosine in [−1, 1] and S counts how well each word finds its region,
    /// whatever the vectors' lengths (VSE++ normalizes both sides). Without it the products are
    /// raw, as in the paper. A file without it holds raw embeddings.
    public var normalizesEmbeddings: Bool
    /// The side of the square grid of region cells (`ImageRegions`): 7 for pool5's 49 cells, 14
    /// for conv5_3's 196, each plus the whole image. A file without it uses 7.
    public var regionGrid: Int
    /// Where training computes the word–region products: `.automatic` picks the cheaper space for
    /// each batch; the others force one (for tests and benchmarks). Results agree to rounding.
    public var scoreSpace: AlignmentScoreSpace

    public init(vocabularySize: Int, featureSize: Int = 512, wordSize: Int = 512, hiddenSize: Int = 512,
                margin: Float = 1, regularization: Float = defaultRegularization, scoreSpace: AlignmentScoreSpace = .automatic,
                sentenceEncoder: SentenceEncoderKind = .brnn, normalizesEmbeddings: Bool = false, regionGrid: Int = 7) {
        precondition(vocabularySize > 0 && featureSize > 0 && wordSize > 0 && hiddenSize > 0,
                     "AlignmentConfig sizes must be positive")
        precondition(ImageRegions.grids.contains(regionGrid), "region grid \(regionGrid) is not one of \(ImageRegions.grids)")
        self.vocabularySize = vocabularySize
        self.featureSize = featureSize
        self.wordSize = wordSize
        self.hiddenSize = hiddenSize
        self.margin = margin
        self.regularization = regularization
        self.scoreSpace = scoreSpace
        self.sentenceEncoder = sentenceEncoder
        self.normalizesEmbeddings = normalizesEmbeddings
        self.regionGrid = regionGrid
    }

    /// The regions an image has under this config: grid² cells plus the whole image.
    public var regionCount: Int { regionGrid * regionGrid + 1 }

    private enum CodingKeys: String, CodingKey {
        case vocabularySize, featureSize, wordSize, hiddenSize, margin, regularization, scoreSpace
        case sentenceEncoder, normalizesEmbeddings, regionGrid
    }

    /// Reads files written before the sentence encoder, normalization and grid were recorded as
    /// what they were then: a BRNN on raw embeddings of pool5's 7 × 7 cells.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        featureSize = try c.decode(Int.self, forKey: .featureSize)
        wordSize = try c.decode(Int.self, forKey: .wordSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        margin = try c.decode(Float.self, forKey: .margin)
        regularization = try c.decode(Float.self, forKey: .regularization)
        scoreSpace = try c.decode(AlignmentScoreSpace.self, forKey: .scoreSpace)
        sentenceEncoder = try c.decodeIfPresent(SentenceEncoderKind.self, forKey: .sentenceEncoder) ?? .brnn
        normalizesEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .normalizesEmbeddings) ?? false
        regionGrid = try c.decodeIfPresent(Int.self, forKey: .regionGrid) ?? 7
        guard [vocabularySize, featureSize, wordSize, hiddenSize].allSatisfy({ $0 > 0 }), ImageRegions.grids.contains(regionGrid) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "sizes must be positive and the grid 7 or 14"))
        }
    }
}

/// The network that reads a sentence (`AlignmentConfig.sentenceEncoder`).
public enum SentenceEncoderKind: String, Sendable, Codable, CaseIterable {
    /// The paper's bidirectional RNN with ReLU units (eq. 2–6).
    case brnn
    /// A bidirectional GRU.
    case gru
    /// A bidirectional LSTM.
    case lstm
}
