import Tensors

extension CaptionModel {
    /// Sizes and switches of a `CaptionModel`. Defaults follow Show and Tell / neuraltalk2 at
    /// the scale this project trains on (Flickr8k-sized data, 2 CPU cores).
    public struct Config: Sendable, Equatable, Codable {
        /// V: token ids 0..<V, the specials 0 `<end>`, 1 `<start>`, 2 `<unk>` included.
        public var vocabularySize: Int
        /// E = 512: word-embedding width, also the width the image vector is projected to
        /// (Show and Tell and neuraltalk2 both use 512).
        public var embeddingSize: Int
        /// H = 512: recurrent state width (Show and Tell: 512; larger overfits Flickr8k).
        public var hiddenSize: Int
        /// LSTM: what Show and Tell uses; GRU and RNN are there to compare against.
        public var cell: CellKind
        /// 0.5: drop probability on the step inputs and on h before the output layer
        /// (neuraltalk2's default; Vinyals et al. report dropout as the main defence against
        /// overfitting on small datasets).
        public var dropout: Float
        /// F = 512: width of the image vector from the encoder (VGG16 pool5 averaged over positions).
        public var featureSize: Int
        /// false: true drops the image step and the image projection, leaving a pure language
        /// model over token sequences (char-rnn style).
        public var textOnly: Bool
        /// 0.08: fresh weights are uniform in (−0.08, 0.08), as in Sutskever et al. 2014 and
        /// Karpathy's char-rnn / neuraltalk. At E = H = 512 that is close to Xavier's bound for the
        /// fused gate weight (√(6 / (1024 + 2048)) ≈ 0.044) and keeps the first logits small, so
        /// the initial loss is ≈ log V. A fixed scale, unlike Xavier, does not shrink the
        /// embeddings, whose fan-in is one row.
        public var initScale: Float
        /// Show and Tell (the image read once, before the words) or Show, Attend and Tell (soft
        /// attention over the image regions at every word; see `AttentionDecoder`).
        public var decoder: DecoderKind
        /// L = 49: with attention, the regions attended over, each a row of F values (pool5's
        /// 7 × 7 cells); the feature vector is then L·F values, region-major.
        public var regionCount: Int
        /// A = 512: with attention, the width of the attention MLP's hidden layer (Xu et al. use
        /// the feature width).
        public var attentionSize: Int
        /// λ = 1: with attention, the weight of the doubly stochastic penalty
        /// λ Σ_i (1 − Σ_t α_ti)², per caption, added to the loss (Xu et al. 2015, eq. 14), which
        /// asks every region to be looked at about once over the caption.
        public var attentionPenalty: Float

        public init(vocabularySize: Int, embeddingSize: Int = 512, hiddenSize: Int = 512,
                    cell: CellKind = .lstm, dropout: Float = 0.5, featureSize: Int = 512,
                    textOnly: Bool = false, initScale: Float = 0.08, decoder: DecoderKind = .showTell,
                    regionCount: Int = 49, attentionSize: Int = 512, attentionPenalty: Float = 1) {
            self.vocabularySize = vocabularySize
            self.embeddingSize = embeddingSize
            self.hiddenSize = hiddenSize
            self.cell = cell
            self.dropout = dropout
            self.featureSize = featureSize
            self.textOnly = textOnly
            self.initScale = initScale
            self.decoder = decoder
            self.regionCount = regionCount
            self.attentionSize = attentionSize
            self.attentionPenalty = attentionPenalty
        }

        /// Files written before attention existed have no decoder fields: they are Show and Tell.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(vocabularySize: try c.decode(Int.self, forKey: .vocabularySize),
                      embeddingSize: try c.decode(Int.self, forKey: .embeddingSize),
                      hiddenSize: try c.decode(Int.self, forKey: .hiddenSize),
                      cell: try c.decode(CellKind.self, forKey: .cell),
                      dropout: try c.decode(Float.self, forKey: .dropout),
                      featureSize: try c.decode(Int.self, forKey: .featureSize),
                      textOnly: try c.decode(Bool.self, forKey: .textOnly),
                      initScale: try c.decode(Float.self, forKey: .initScale),
                      decoder: try c.decodeIfPresent(DecoderKind.self, forKey: .decoder) ?? .showTell,
                      regionCount: try c.decodeIfPresent(Int.self, forKey: .regionCount) ?? 49,
                      attentionSize: try c.decodeIfPresent(Int.self, forKey: .attentionSize) ?? 512,
                      attentionPenalty: try c.decodeIfPresent(Float.self, forKey: .attentionPenalty) ?? 1)
        }

        /// Width of the image input a model reads: F, or L·F with attention.
        public var imageInputSize: Int { decoder == .attention ? regionCount * featureSize : featureSize }

        /// Checks the sizes make a model: at least one word beyond the specials, positive
        /// widths, dropout in [0, 1).
        func validate() {
            precondition(vocabularySize > CaptionModel.firstWordToken,
                         "vocabulary needs the 3 special tokens and at least one word, got \(vocabularySize)")
            precondition(embeddingSize > 0 && hiddenSize > 0, "embedding and hidden sizes must be positive")
            precondition(textOnly || featureSize > 0, "feature size must be positive")
            precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
            if decoder == .attention {
                precondition(cell == .lstm && !textOnly, "the attention decoder is an image-conditioned LSTM")
                precondition(regionCount > 0 && attentionSize > 0 && attentionPenalty >= 0,
                             "attention needs regions, a positive attention size and a penalty ≥ 0")
            }
        }
    }

    /// Which caption decoder a model is.
    public enum DecoderKind: String, Sendable, Codable, CaseIterable {
        /// Show and Tell (Vinyals et al. 2015): the image vector is the first input.
        case showTell = "show-tell"
        /// Show, Attend and Tell (Xu et al. 2015), soft attention.
        case attention
    }
}
