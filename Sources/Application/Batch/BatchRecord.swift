import Foundation
import Support

/// The result for one file of a batch: its captions, best first, or why it failed.
///
/// As a JSON line it is exactly what `caption --json` prints for a photo:
/// `{"image", "caption", "logprob", "score", ["confidence", "match",] "beams": [{"caption", "logprob",
/// "score", "word_logprobs"}]}`, or `{"image", "error"}`.
public struct BatchRecord: Sendable, Equatable {
    /// One decoded sentence with its scores.
    public struct Candidate: Sendable, Equatable {
        public var caption: String
        /// Natural-log probability of the caption including its end token.
        public var logprob: Float
        /// `logprob / length^α`, what the beam ranked by.
        public var score: Float
        public var wordLogprobs: [Float]

        public init(caption: String, logprob: Float, score: Float, wordLogprobs: [Float]) {
            self.caption = caption
            self.logprob = logprob
            self.score = score
            self.wordLogprobs = wordLogprobs
        }
    }

    public var image: String
    public var candidates: [Candidate]
    /// The aligner's per-word score of the best caption, when the aligner was used.
    public var confidence: Float?
    /// `confidence` as a calibrated probability (`MatchReading`), when the aligner is calibrated.
    public var match: Float?
    public var error: String?

    public init(image: String, candidates: [Candidate], confidence: Float? = nil, match: Float? = nil) {
        self.image = image
        self.candidates = candidates
        self.confidence = confidence
        self.match = match
    }

    public init(image: String, error: String) {
        self.image = image
        self.candidates = []
        self.error = error
    }

    public var caption: String { candidates.first?.caption ?? "" }
    public var failed: Bool { error != nil }

    /// The one-line JSON form (no newline).
    public var jsonLine: String { json.text }

    /// The JSON object of `jsonLine`, for a caller that adds fields (a server's timings).
    public var json: JSON {
        if let error { return JSON.object([("image", .string(image)), ("error", .string(error))]) }
        let beams: [JSON] = candidates.map { candidate in
            .object([("caption", .string(candidate.caption)), ("logprob", .number(candidate.logprob)),
                     ("score", .number(candidate.score)), ("word_logprobs", .array(candidate.wordLogprobs.map { .number($0) }))])
        }
        var fields: [(String, JSON)] = [("image", .string(image)), ("caption", .string(caption)),
                                        ("logprob", .number(candidates.first?.logprob ?? 0)),
                                        ("score", .number(candidates.first?.score ?? 0))]
        if let confidence { fields.append(("confidence", .number(confidence))) }
        if let match { fields.append(("match", .number(match, decimals: 3))) }
        fields.append(("beams", .array(beams)))
        return JSON.object(fields)
    }

    /// Reads a line written by ``jsonLine``; nil when it is not one.
    public init?(jsonLine line: some StringProtocol) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let image = object["image"] as? String
        else { return nil }
        if let error = object["error"] as? String {
            self.init(image: image, error: error)
            return
        }
        guard let caption = object["caption"] as? String else { return nil }
        func float(_ value: Any?) -> Float { (value as? NSNumber)?.floatValue ?? 0 }
        var candidates = (object["beams"] as? [[String: Any]] ?? []).map { beam in
            Candidate(caption: beam["caption"] as? String ?? "", logprob: float(beam["logprob"]), score: float(beam["score"]),
                      wordLogprobs: (beam["word_logprobs"] as? [NSNumber] ?? []).map(\.floatValue))
        }
        if candidates.first?.caption != caption {
            candidates.insert(Candidate(caption: caption, logprob: float(object["logprob"]), score: float(object["score"]),
                                        wordLogprobs: []), at: 0)
        }
        self.init(image: image, candidates: candidates, confidence: (object["confidence"] as? NSNumber)?.floatValue,
                  match: (object["match"] as? NSNumber)?.floatValue)
    }

    /// A score as CSV writes it (`%.4f`); empty when not finite.
    public static func number(_ x: Float) -> String {
        x.isFinite ? String(format: "%.4f", x) : ""
    }
}
