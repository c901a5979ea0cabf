import Foundation

/// CIDEr-D of one caption against one image's references, with the document frequencies of a
/// fixed corpus: the reward of self-critical training.
///
/// `CiderD.score` takes its IDF from the evaluated corpus, so a caption's score depends on what
/// it is scored with. A reward must not: here the IDF comes once from the training references
/// (N = the number of training images, df(w) = how many of their reference sets hold w), and
/// each image's reference vectors are built once, so scoring a sampled caption costs only its
/// own n-grams. The formula is `CiderD`'s:
///
///     CIDEr-D(c, image) = 10 · (1/k) Σ_j (1/4) Σ_n sim_n(c, r_j)
///
/// With the corpus's own references as `references`, `score(candidate, image:)` equals
/// `CiderD.imageScores` for that image.
public struct CiderDReward: Sendable {
    /// Token → interned id over every reference.
    private let ids: [String: UInt32]
    private let weigher: TfIdfWeigher
    /// Per image, its references' TF-IDF vectors.
    private let referenceVectors: [[TfIdfVector]]

    /// - Parameter references: per image, its reference captions as tokens (an image without
    ///   any rewards nothing).
    public init(references: [[[String]]]) {
        precondition(!references.isEmpty, "CIDEr-D needs images")
        var ids: [String: UInt32] = [:]
        let encoded = references.map { image in
            image.map { tokens in
                tokens.map { token in
                    if let id = ids[token] { return id }
                    let id = UInt32(ids.count)
                    ids[token] = id
                    return id
                }
            }
        }
        let counts = encoded.map { $0.map(NGram.counts(in:)) }
        let weigher = TfIdfWeigher(documentFrequency: CiderD.documentFrequency(of: counts),
                                   logImageCount: log(Double(references.count)))
        self.ids = ids
        self.weigher = weigher
        referenceVectors = zip(encoded, counts).map { tokens, counts in
            zip(tokens, counts).map { weigher.vector($1, tokenCount: $0.count) }
        }
    }

    /// Images whose references it holds.
    public var imageCount: Int { referenceVectors.count }

    /// CIDEr-D of `candidate` (tokens) against the references of image `image`.
    public func score(_ candidate: [String], image: Int) -> Double {
        // A word no reference uses gets an id past the references' own, so it matches nothing
        // but still counts (once per distinct word) in the candidate's n-grams and norms.
        var unseen: [String: UInt32] = [:]
        let tokens = candidate.map { token in
            if let id = ids[token] { return id }
            if let id = unseen[token] { return id }
            let id = UInt32(ids.count + unseen.count)
            unseen[token] = id
            return id
        }
        let vector = weigher.vector(NGram.counts(in: tokens), tokenCount: tokens.count)
        let references = referenceVectors[image]
        guard !references.isEmpty else { return 0 }
        var total = 0.0
        for reference in references {
            total += CiderD.similarity(vector, reference).reduce(0, +) / Double(CiderD.maxOrder)
        }
        return total / Double(references.count) * CiderD.scale
    }
}
