import Text
import Foundation
import Tensors
import Formats

/// A trained captioner on disk: one safetensors file holding the parameters, the vocabulary, the
/// tokenizer mode, the model config and the image-feature statistics, so a model and its
/// vocabulary can never mismatch. The one loader train, caption, evaluate and sample all use.
///
/// Tensors: the model's parameters by name, plus `feature.mean` and `feature.std`.
/// Metadata: `format` = `caption-captioner-1`, `config` (JSON), `vocabulary` (one word a line,
/// in id order), `tokenizer` (words | characters), `feature_pooling`, and free-form `info.*`
/// entries (training command, dev scores).
///
/// An ensemble file also holds further members with the same vocabulary and tokenizer: their
/// parameters are stored as `ensemble.<k>.<name>` (k = 1, 2, …), with metadata `ensemble` = the
/// number of further members. A member whose config or features differ from the first model's
/// (a Show-and-Tell member beside attention ones) has its own `ensemble.<k>.config`,
/// `ensemble.<k>.feature_pooling` and tensors `ensemble.<k>.feature.mean` / `.std`.
public struct CaptionModelFile: Sendable {
    public static let format = "caption-captioner-1"

    /// A further ensemble member: its model and the image features it reads.
    public struct Member: Sendable {
        public var model: CaptionModel
        /// nil for a text-only language model.
        public var features: ImageFeatureSpec?

        public init(model: CaptionModel, features: ImageFeatureSpec?) {
            self.model = model
            self.features = features
        }
    }

    public var model: CaptionModel
    /// Further members decoded together with `model` (empty for a single model).
    public var ensemble: [Member] = []
    public var vocabulary: Vocabulary
    public var tokenizer: Tokenizer
    /// `model`'s image features; nil for a text-only language model.
    public var features: ImageFeatureSpec?
    /// Free-form facts shown by `caption --model DIR --info`: training command, dev scores, …
    public var info: [String: String]

    public init(model: CaptionModel, vocabulary: Vocabulary, tokenizer: Tokenizer,
                features: ImageFeatureSpec?, info: [String: String] = [:]) {
        precondition(vocabulary.count == model.config.vocabularySize, "vocabulary and model disagree on size")
        self.model = model
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.features = features
        self.info = info
    }

    /// What the decoder reads for an image: every member's features side by side (one recipe
    /// when all members share it); nil for a text-only language model.
    public var input: CaptionInput? {
        guard let features else { return nil }
        return CaptionInput(memberSpecs: [features] + ensemble.map { $0.features! })  // addMember checks they exist
    }

    /// What beam search and sampling run: `model` alone, or the ensemble of all members, each
    /// member stepping on its own weights (the reference the packed decoder is tested against).
    public var decoder: any StepwiseDecoder {
        precondition(!model.parameters.isEmpty, "this file's weights were moved into a packed decoder")
        return ensemble.isEmpty ? model : try! CaptionEnsemble([model] + ensemble.map(\.model), inputColumns: input?.memberColumns)  // checked when added
    }

    /// The decoder for captioning, its weights moved out of this file into it, so one copy stays
    /// in memory: Show-and-Tell members of one config and one input fused and packed
    /// (`FusedCaptionEnsemble`), attention members of one size (`FusedAttentionEnsemble`);
    /// members of both kinds step on their own weights (``CaptionEnsemble``). The file keeps
    /// its config, vocabulary, tokenizer, features and info; `decoder`, `write` and training need
    /// the file read anew.
    public mutating func packForDecoding() -> any StepwiseDecoder {
        var members = [model] + ensemble.map(\.model)
        let input = self.input
        model.parameters = [:]
        for k in ensemble.indices { ensemble[k].model.parameters = [:] }
        if FusedAttentionEnsemble.canPack(members) {
            return FusedAttentionEnsemble(packing: &members, inputColumns: input?.memberColumns)
        }
        // Show and Tell packs with one config and one input row for all members.
        guard members.allSatisfy({ $0.config == members[0].config && $0.config.decoder == .showTell }), input?.isShared ?? true else {
            return members.count == 1 ? members[0] : try! CaptionEnsemble(members, inputColumns: input?.memberColumns)  // checked when added
        }
        return FusedCaptionEnsemble(packing: &members)
    }

    /// Adds `other`'s members to this ensemble. They must share this model's vocabulary and
    /// tokenizer, and read images if it does. Their decoder and features may differ (an attention
    /// member beside Show-and-Tell ones); features with the same pooling must come from the same
    /// training images (stored statistics may differ by float16 rounding).
    public mutating func addMember(_ other: CaptionModelFile) throws(CaptionModelFileError) {
        guard other.vocabulary.serialized == vocabulary.serialized else { throw CaptionModelFileError("its vocabulary differs") }
        guard other.tokenizer.mode == tokenizer.mode else { throw CaptionModelFileError("its tokenizer differs") }
        let members = [Member(model: other.model, features: other.features)] + other.ensemble
        for member in members {
            switch (features, member.features) {
            case (nil, nil): break
            case let (a?, b?):
                for existing in [a] + ensemble.compactMap(\.features) where existing.pooling == b.pooling {
                    guard zip(existing.mean + existing.std, b.mean + b.std).allSatisfy({ x, y in abs(x - y) <= 1e-3 * max(1, abs(x)) }) else {
                        throw CaptionModelFileError("its \(b.pooling.rawValue) image features differ (trained on other data?)")
                    }
                }
            default: throw CaptionModelFileError(features == nil ? "it reads images and this is a text-only model" : "it is a text-only model")
            }
        }
        // Whether they can decode together: vocabulary size, LSTM memory, each input's width.
        let all = [Member(model: model, features: features)] + ensemble + members
        let input = features.map { _ in CaptionInput(memberSpecs: all.map { $0.features! }) }
        _ = try CaptionEnsemble(all.map(\.model), inputColumns: input?.memberColumns)
        ensemble += members
    }

    public func write(to url: URL, dtype: SafeTensorsDType = .f32) throws {
        var tensors = model.parameters
        var metadata = [
            "format": Self.format,
            "config": try Self.json(model.config),
            "vocabulary": vocabulary.serialized,
            "tokenizer": tokenizer.mode.rawValue,
        ]
        func store(_ features: ImageFeatureSpec?, prefix: String) {
            guard let features else { return }
            tensors[prefix + "feature.mean"] = Tensor(shape: [features.mean.count], data: features.mean)
            tensors[prefix + "feature.std"] = Tensor(shape: [features.std.count], data: features.std)
            metadata[prefix + "feature_pooling"] = features.pooling.rawValue
        }
        store(features, prefix: "")
        for (k, member) in ensemble.enumerated() {
            let prefix = "ensemble.\(k + 1)."
            for (name, tensor) in member.model.parameters { tensors[prefix + name] = tensor }
            // Only what differs from the first model is written, so same-kind ensembles read as before.
            if member.model.config != model.config { metadata[prefix + "config"] = try Self.json(member.model.config) }
            if member.features?.pooling != features?.pooling { store(member.features, prefix: prefix) }
        }
        for (key, value) in info { metadata["info.\(key)"] = value }
        if !ensemble.isEmpty { metadata["ensemble"] = String(ensemble.count) }
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url, dtype: dtype)
    }

    /// The config as JSON, keys sorted so that writing a file twice gives the same bytes.
    private static func json(_ config: CaptionModel.Config) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(config), as: UTF8.self)
    }

    public static func read(contentsOf url: URL) throws -> CaptionModelFile {
        let file = try SafeTensorsFile.read(contentsOf: url)
        func field(_ key: String) throws -> String {
            guard let value = file.metadata[key] else { throw CaptionModelFileError("metadata '\(key)' is missing (not a captioner file?)") }
            return value
        }
        guard try field("format") == format else {
            throw CaptionModelFileError("format '\(file.metadata["format"] ?? "")' is not \(format)")
        }
        let vocabulary = try Vocabulary(serialized: try field("vocabulary"))
        guard let mode = Tokenizer.Mode(rawValue: try field("tokenizer")) else {
            throw CaptionModelFileError("unknown tokenizer '\(file.metadata["tokenizer"] ?? "")'")
        }
        let memberCount = Int(file.metadata["ensemble"] ?? "0") ?? -1
        guard (0...16).contains(memberCount) else { throw CaptionModelFileError("metadata 'ensemble' is not a member count") }
        // Split the tensors by member: "ensemble.<k>.<name>" is member k's, the rest the first model's.
        var parameters = [[String: Tensor]](repeating: [:], count: memberCount + 1)
        for (name, tensor) in file.tensors {
            guard name.hasPrefix("ensemble.") else { parameters[0][name] = tensor; continue }
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let k = Int(parts[1]), (1...memberCount).contains(k) else {
                throw CaptionModelFileError("tensor '\(name)' belongs to no ensemble member")
            }
            parameters[k][String(parts[2])] = tensor
        }
        /// Member k's model and features; a further member's config and features default to the first model's.
        func member(_ k: Int, defaults: Member?) throws -> Member {
            let prefix = k == 0 ? "" : "ensemble.\(k)."
            let config: CaptionModel.Config
            if let json = try file.metadata[prefix + "config"] ?? (defaults == nil ? field("config") : nil) {
                do {
                    config = try JSONDecoder().decode(CaptionModel.Config.self, from: Data(json.utf8))
                } catch {
                    throw CaptionModelFileError("metadata '\(prefix)config' is not a valid model config")
                }
            } else {
                config = defaults!.model.config
            }
            var features = defaults?.features
            if let poolingName = file.metadata[prefix + "feature_pooling"] {
                guard let pooling = ImageFeatureSpec.Pooling(rawValue: poolingName) else {
                    throw CaptionModelFileError("unknown feature pooling '\(poolingName)'")
                }
                let size = ImageFeatureSpec.statisticsSize(of: pooling)
                let mean = try file.tensor(prefix + "feature.mean", shape: [size])
                let std = try file.tensor(prefix + "feature.std", shape: [size])
                features = ImageFeatureSpec(pooling: pooling, mean: mean.data, std: std.data)
            }
            var own = parameters[k]
            own["feature.mean"] = nil
            own["feature.std"] = nil
            if let features, features.size != config.imageInputSize {
                throw CaptionModelFileError("\(k == 0 ? "its" : "member \(k + 1)'s") image features have \(features.size) values, "
                                            + "the model reads \(config.imageInputSize)")
            }
            guard vocabulary.count == config.vocabularySize else {
                throw CaptionModelFileError("vocabulary has \(vocabulary.count) words, the model \(config.vocabularySize)")
            }
            return Member(model: try CaptionModel(config: config, parameters: own), features: features)
        }
        let first = try member(0, defaults: nil)
        let ensemble = try (0..<memberCount).map { try member($0 + 1, defaults: first) }
        var info: [String: String] = [:]
        for (key, value) in file.metadata where key.hasPrefix("info.") { info[String(key.dropFirst(5))] = value }
        var result = CaptionModelFile(model: first.model, vocabulary: vocabulary, tokenizer: Tokenizer(mode: mode),
                                      features: first.features, info: info)
        result.ensemble = ensemble
        if ensemble.contains(where: { ($0.features == nil) != (first.features == nil) }) {
            throw CaptionModelFileError("its members disagree on reading images")
        }
        _ = try CaptionEnsemble([first.model] + ensemble.map(\.model), inputColumns: result.input?.memberColumns)
        return result
    }
}

/// A captioner file that cannot be used, with the reason.
public struct CaptionModelFileError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
