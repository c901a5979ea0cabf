import Application
import Hummingbird

/// A request's query string, read strictly: every parameter must be one the route knows, given
/// once, and parse as its type; anything else is a 400 that names it, so a typo such as
/// `beamsize=5` is caught instead of silently ignored.
///
/// `/v1/captions` takes the CLI's decoding options with `_` for `-` (`beam_size`, `n_best`,
/// `max_length`, `length_penalty`, `no_repeat_ngram`, `greedy`, `sample`, `temperature`, `seed`,
/// `rerank`, `rerank_weight`), in the same ranges (`DecodingPolicy.Limits`).
struct QueryOptions {
    private var values: [String: String] = [:]
    /// Every value of `sentence`, which may repeat.
    private(set) var sentences: [String] = []

    static let decodingNames: Set<String> = ["beam_size", "n_best", "max_length", "length_penalty", "no_repeat_ngram",
                                             "greedy", "sample", "temperature", "seed", "rerank", "rerank_weight"]

    /// The query of `request`, allowing `names` (and `sentence` where `sentences` is true).
    init(_ request: Request, allowing names: Set<String>, sentences allowSentences: Bool = false) throws(APIError) {
        for (key, value) in request.uri.queryParameters {
            let name = String(key), text = String(value)
            if name == "sentence" && allowSentences {
                sentences.append(text)
                continue
            }
            guard names.contains(name) else {
                let known = (names.union(allowSentences ? ["sentence"] : [])).sorted()
                throw .badRequest(known.isEmpty ? "this route takes no query parameters, got `\(name)`"
                                  : "unknown query parameter `\(name)` (known: \(known.joined(separator: ", ")))")
            }
            guard values[name] == nil else { throw .badRequest("query parameter `\(name)` is given twice") }
            values[name] = text
        }
    }

    /// The decoding policy: the server's defaults with the query's values over them, checked.
    func policy(defaults: DecodingPolicy) throws(APIError) -> DecodingPolicy {
        var policy = defaults
        if let value = try int("beam_size") { policy.beamSize = value }
        if let value = try int("n_best") { policy.nBest = value }
        if let value = try int("max_length") { policy.maxLength = value }
        if let value = try float("length_penalty") { policy.lengthPenalty = value }
        if let value = try int("no_repeat_ngram") { policy.noRepeatNgram = value }
        if let value = try bool("greedy") { policy.greedy = value }
        if let value = try bool("sample") { policy.sample = value }
        if let value = try float("temperature") { policy.temperature = value }
        if let text = values["seed"] {
            guard let seed = UInt64(text) else { throw .badRequest("seed: must be a whole number 0…\(UInt64.max), got \(text)") }
            policy.seed = seed
        }
        if let value = try bool("rerank") { policy.rerank = value }
        if let value = try float("rerank_weight") { policy.rerankWeight = value }
        // A choice of the server's defaults (say --greedy) gives way to the request's contrary choice.
        if values["sample"] != nil && policy.sample && values["greedy"] == nil { policy.greedy = false }
        if values["greedy"] != nil && policy.greedy && values["sample"] == nil { policy.sample = false }
        do {
            try policy.validate()
        } catch {
            throw .badRequest(Self.queryName(error.description))
        }
        return policy
    }

    private func int(_ name: String) throws(APIError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text) else { throw .badRequest("\(name): must be a whole number, got \(text)") }
        return value
    }

    private func float(_ name: String) throws(APIError) -> Float? {
        guard let text = values[name] else { return nil }
        guard let value = Float(text), value.isFinite else { throw .badRequest("\(name): must be a finite number, got \(text)") }
        return value
    }

    private func bool(_ name: String) throws(APIError) -> Bool? {
        guard let text = values[name] else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes", "": return true
        case "false", "0", "no": return false
        default: throw .badRequest("\(name): must be true or false, got \(text)")
        }
    }

    /// `--beam-size: must be …` as the query spells it: `beam_size: must be …`.
    static func queryName(_ message: String) -> String {
        // Longest first: `--rerank-weight` before its prefix `--rerank`.
        decodingNames.sorted { $0.count > $1.count }.reduce(message) { text, name in
            text.replacingOccurrences(of: "--" + name.replacingOccurrences(of: "_", with: "-"), with: name)
        }
    }
}
