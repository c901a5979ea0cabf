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
    /// Where training computes the word–region products: `.automatic` picks the cheaper space for
    /// each batch; the others force one (for tests and benchmarks). Results agree to rounding.
    public var scoreSpace: AlignmentScoreSpace

    public init(vocabularySize: Int, featureSize: Int = 512, wordSize: Int = 512, hiddenSize: Int = 512,
                margin: Float = 1, regularization: Float = defaultRegularization, scoreSpace: AlignmentScoreSpace = .automatic) {
        precondition(vocabularySize > 0 && featureSize > 0 && wordSize > 0 && hiddenSize > 0,
                     "AlignmentConfig sizes must be positive")
        self.vocabularySize = vocabularySize
        self.featureSize = featureSize
        self.wordSize = wordSize
        self.hiddenSize = hiddenSize
        self.margin = margin
        self.regularization = regularization
        self.scoreSpace = scoreSpace
    }
}
