import Captioning
import Tensors

/// Small models and batches shared by the test files.
enum ModelFixtures {
    /// V = 7 (specials + 4 words), E = 5, H = 4, F = 6: small enough to finite-difference every
    /// parameter, large enough that every gate block has several units.
    static func tinyConfig(cell: CellKind, dropout: Float = 0, textOnly: Bool = false,
                           initScale: Float = 0.08) -> CaptionModel.Config {
        CaptionModel.Config(vocabularySize: 7, embeddingSize: 5, hiddenSize: 4, cell: cell, dropout: dropout,
                            featureSize: 6, textOnly: textOnly, initScale: initScale)
    }

    static func model(_ config: CaptionModel.Config, seed: UInt64 = 1) -> CaptionModel {
        var rng = SplitMix64(seed: seed)
        return CaptionModel(config: config, rng: &rng)
    }

    /// B rows of uniform(−1, 1) image vectors `[B, F]`.
    static func features(batch: Int, size: Int, seed: UInt64 = 7) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: [batch, size], data: (0..<(batch * size)).map { _ in Float(rng.nextUnit() * 2 - 1) })
    }

    /// B = 3 captions of different lengths (padding is exercised), `<unk>` (2) included as a
    /// word; the longest gives T = 5 steps with the image step.
    static let tinyCaptions: [[Int]] = [[3, 5, 2], [6], [4, 4]]

    /// A model and one image vector, rows of `[1, F]` flattened to `[F]`.
    static func feature(size: Int, seed: UInt64 = 11) -> Tensor {
        features(batch: 1, size: size, seed: seed).reshaped([size])
    }
}
