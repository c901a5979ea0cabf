/// A tokenized evaluation corpus: for every image, one candidate caption and one or more
/// reference captions, each already split into tokens (the project's tokenizer lowercases
/// and strips punctuation; this module never tokenizes).
///
/// All metrics in this module take a `CaptionCorpus`, so the corpus invariants that
/// coco-caption asserts (same image ids on both sides, at least one reference per image,
/// at least one image) are checked once, here, by a throwing initializer.
///
/// Tokens are interned to integer ids on construction: n-gram keys and LCS comparisons then
/// hash and compare integers instead of strings, which is what keeps 5,000 images × 5
/// references well under a second. Interning does not change any score, because the metrics
/// only ever ask whether two tokens are equal.
public struct CaptionCorpus: Sendable {
    /// One image's candidate caption and its reference captions.
    public struct Image: Sendable, Equatable {
        public let id: String
        public let candidate: [String]
        public let references: [[String]]

        public init(id: String, candidate: [String], references: [[String]]) {
            self.id = id
            self.candidate = candidate
            self.references = references
        }
    }

    /// The images in scoring order.
    public let images: [Image]

    /// `images` with every token replaced by its interned id (same order).
    let encodedImages: [EncodedImage]

    /// Builds a corpus from images in the given order.
    /// - Throws: `.empty` for no images, `.noReferences` for an image without references.
    public init(_ images: [Image]) throws(CaptionCorpusError) {
        guard !images.isEmpty else { throw .empty }
        if let image = images.first(where: { $0.references.isEmpty }) {
            throw .noReferences(imageID: image.id)
        }
        self.images = images

        var ids: [String: UInt32] = [:]
        func encode(_ tokens: [String]) -> [UInt32] {
            tokens.map { token in
                if let id = ids[token] { return id }
                let id = UInt32(ids.count)
                ids[token] = id
                return id
            }
        }
        encodedImages = images.map { image in
            EncodedImage(candidate: encode(image.candidate), references: image.references.map(encode))
        }
    }

    /// Builds a corpus from image id → candidate tokens and image id → reference token lists,
    /// like coco-caption's `res` / `gts` dictionaries. Images are scored in ascending id order
    /// so that results do not depend on dictionary iteration order.
    /// - Throws: if the two dictionaries do not have the same ids, an image has no
    ///   references, or there are no images.
    public init(candidates: [String: [String]], references: [String: [[String]]]) throws(CaptionCorpusError) {
        if let id = candidates.keys.sorted().first(where: { references[$0] == nil }) {
            throw .missingReferences(imageID: id)
        }
        if let id = references.keys.sorted().first(where: { candidates[$0] == nil }) {
            throw .missingCandidate(imageID: id)
        }
        let images = candidates.keys.sorted().map { id in
            Image(id: id, candidate: candidates[id]!, references: references[id]!)
        }
        try self.init(images)
    }
}

/// Why a `CaptionCorpus` could not be built.
extension CaptionCorpus {
    /// How many different captions the candidates are: a captioner that says the same few
    /// stock sentences for everything (a known failure of metric-tuned training) scores low.
    public var distinctCandidates: Int { Set(images.map(\.candidate)).count }
    /// How many different words the candidates use.
    public var candidateVocabulary: Int { Set(images.flatMap(\.candidate)).count }
    /// How many candidates stop on a word that cannot end an English sentence ("… with a",
    /// "… in the"): the stock ending metric-tuned captioners drift to, which CIDEr-D's n-grams
    /// barely punish.
    public var danglingCandidates: Int { images.filter { Self.danglingWords.contains($0.candidate.last ?? "") }.count }

    /// Articles, prepositions and conjunctions (lowercase, as the tokenizer leaves them).
    static let danglingWords: Set<String> = ["a", "an", "the", "with", "of", "in", "on", "at", "to", "for", "and",
                                               "or", "from", "by", "into", "near", "his", "her", "their", "its"]
}

public enum CaptionCorpusError: Error, Equatable, CustomStringConvertible {
    /// The corpus has no images (CIDEr-D's IDF would be log 0).
    case empty
    /// An image has a candidate but no entry in the references.
    case missingReferences(imageID: String)
    /// An image has references but no candidate.
    case missingCandidate(imageID: String)
    /// An image's reference list is empty.
    case noReferences(imageID: String)

    public var description: String {
        switch self {
        case .empty: "caption corpus has no images"
        case .missingReferences(let id): "image \(id) has a candidate but no references"
        case .missingCandidate(let id): "image \(id) has references but no candidate"
        case .noReferences(let id): "image \(id) has an empty reference list"
        }
    }
}

/// One image's captions as interned token ids.
struct EncodedImage: Sendable {
    let candidate: [UInt32]
    let references: [[UInt32]]
}
