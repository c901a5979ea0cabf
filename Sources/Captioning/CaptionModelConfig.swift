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

        public init(vocabularySize: Int, embeddingSize: Int = 512, hiddenSize: Int = 512,
                    cell: CellKind = .lstm, dropout: Float = 0.5, featureSize: Int = 512,
                    textOnly: Bool = false, initScale: Float = 0.08) {
            self.vocabularySize = vocabularySize
            self.embeddingSize = embeddingSize
            self.hiddenSize = hiddenSize
            self.cell = cell
            self.dropout = dropout
            self.featureSize = featureSize
            self.textOnly = textOnly
            self.initScale = initScale
        }

        /// Checks the sizes make a model: at least one word beyond the specials, positive
        /// widths, dropout in [0, 1).
        func validate() {
            precondition(vocabularySize > CaptionModel.firstWordToken,
                         "vocabulary needs the 3 special tokens and at least one word, got \(vocabularySize)")
            precondition(embeddingSize > 0 && hiddenSize > 0, "embedding and hidden sizes must be positive")
            precondition(textOnly || featureSize > 0, "feature size must be positive")
            precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
        }
    }
}
