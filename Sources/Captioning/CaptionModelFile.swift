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
/// An ensemble file also holds further members with the same config, vocabulary and features:
/// their parameters are stored as `ensemble.<k>.<name>` (k = 1, 2, …), with metadata `ensemble`
/// = the number of further members.
public struct CaptionModelFile: Sendable {
    public static let format = "caption-captioner-1"

    public var model: CaptionModel
    /// Further members decoded together with `model` (empty for a single model).
    public var ensemble: [CaptionModel] = []
    public var vocabulary: Vocabulary
    public var tokenizer: Tokenizer
    /// nil for a text-only language model.
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

    /// What beam search and sampling run: `model` alone, or the ensemble of all members, each
    /// member stepping on its own weights (the reference the packed decoder is tested against).
    public var decoder: any StepwiseDecoder {
        precondition(!model.parameters.isEmpty, "this file's weights were moved into a packed decoder")
        return ensemble.isEmpty ? model : try! CaptionEnsemble([model] + ensemble)  // members checked when added
    }

    /// The decoder for captioning: all members fused and packed (`FusedCaptionEnsemble`), the
    /// weights moved out of this file into it, so one float32 copy stays in memory. The file
    /// keeps its config, vocabulary, tokenizer, features and info; `decoder`, `write` and
    /// training need the file read anew.
    /// An attention decoder steps on its own weights (``CaptionModel`` or ``CaptionEnsemble``),
    /// which move into it the same way.
    public mutating func packForDecoding() -> any StepwiseDecoder {
        var members = [model] + ensemble
        model.parameters = [:]
        for k in ensemble.indices { ensemble[k].parameters = [:] }
        guard members[0].config.decoder == .showTell else {
            return members.count == 1 ? members[0] : try! CaptionEnsemble(members)  // members checked when added
        }
        return FusedCaptionEnsemble(packing: &members)
    }

    /// Adds `other` as an ensemble member. It must share this model's config, vocabulary,
    /// tokenizer and image features (the same training data; stored statistics may differ by
    /// float16 rounding).
    public mutating func addMember(_ other: CaptionModelFile) throws(CaptionModelFileError) {
        guard other.model.config == model.config else { throw CaptionModelFileError("its model config differs") }
        guard other.vocabulary.serialized == vocabulary.serialized else { throw CaptionModelFileError("its vocabulary differs") }
        guard other.tokenizer.mode == tokenizer.mode else { throw CaptionModelFileError("its tokenizer differs") }
        let sameFeatures: Bool = switch (features, other.features) {
        case (nil, nil): true
        case let (a?, b?): a.pooling == b.pooling && zip(a.mean + a.std, b.mean + b.std).allSatisfy { x, y in
            abs(x - y) <= 1e-3 * max(1, abs(x)) }
        default: false
        }
        guard sameFeatures else { throw CaptionModelFileError("its image features differ (trained on other data?)") }
        ensemble += [other.model] + other.ensemble
    }

    public func write(to url: URL, dtype: SafeTensorsDType = .f32) throws {
        var tensors = model.parameters
        for (k, member) in ensemble.enumerated() {
            for (name, tensor) in member.parameters { tensors["ensemble.\(k + 1).\(name)"] = tensor }
        }
        var metadata = [
            "format": Self.format,
            "config": String(decoding: try JSONEncoder().encode(model.config), as: UTF8.self),
            "vocabulary": vocabulary.serialized,
            "tokenizer": tokenizer.mode.rawValue,
        ]
        if let features {
            tensors["feature.mean"] = Tensor(shape: [features.mean.count], data: features.mean)
            tensors["feature.std"] = Tensor(shape: [features.std.count], data: features.std)
            metadata["feature_pooling"] = features.pooling.rawValue
        }
        for (key, value) in info { metadata["info.\(key)"] = value }
        if !ensemble.isEmpty { metadata["ensemble"] = String(ensemble.count) }
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url, dtype: dtype)
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
        let config: CaptionModel.Config
        do {
            config = try JSONDecoder().decode(CaptionModel.Config.self, from: Data(try field("config").utf8))
        } catch let error as CaptionModelFileError {
            throw error
        } catch {
            throw CaptionModelFileError("metadata 'config' is not a valid model config")
        }
        let vocabulary = try Vocabulary(serialized: try field("vocabulary"))
        guard let mode = Tokenizer.Mode(rawValue: try field("tokenizer")) else {
            throw CaptionModelFileError("unknown tokenizer '\(file.metadata["tokenizer"] ?? "")'")
        }
        var parameters = file.tensors
        var features: ImageFeatureSpec?
        if let poolingName = file.metadata["feature_pooling"] {
            guard let pooling = ImageFeatureSpec.Pooling(rawValue: poolingName) else {
                throw CaptionModelFileError("unknown feature pooling '\(poolingName)'")
            }
            let size = ImageFeatureSpec.statisticsSize(of: pooling)
            let mean = try file.tensor("feature.mean", shape: [size]), std = try file.tensor("feature.std", shape: [size])
            features = ImageFeatureSpec(pooling: pooling, mean: mean.data, std: std.data)
        }
        parameters["feature.mean"] = nil
        parameters["feature.std"] = nil
        if let features, features.size != config.imageInputSize {
            throw CaptionModelFileError("its image features have \(features.size) values, the model reads \(config.imageInputSize)")
        }
        guard vocabulary.count == config.vocabularySize else {
            throw CaptionModelFileError("vocabulary has \(vocabulary.count) words, the model \(config.vocabularySize)")
        }
        let memberCount = Int(file.metadata["ensemble"] ?? "0") ?? -1
        guard (0...16).contains(memberCount) else { throw CaptionModelFileError("metadata 'ensemble' is not a member count") }
        var memberParameters = [[String: Tensor]](repeating: [:], count: memberCount)
        for (name, tensor) in parameters where name.hasPrefix("ensemble.") {
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, let k = Int(parts[1]), (1...memberCount).contains(k) else {
                throw CaptionModelFileError("tensor '\(name)' belongs to no ensemble member")
            }
            memberParameters[k - 1][String(parts[2])] = tensor
            parameters[name] = nil
        }
        let model = try CaptionModel(config: config, parameters: parameters)
        let ensemble = try memberParameters.map { try CaptionModel(config: config, parameters: $0) }
        var info: [String: String] = [:]
        for (key, value) in file.metadata where key.hasPrefix("info.") { info[String(key.dropFirst(5))] = value }
        var result = CaptionModelFile(model: model, vocabulary: vocabulary, tokenizer: Tokenizer(mode: mode),
                                      features: features, info: info)
        result.ensemble = ensemble
        return result
    }
}

/// A captioner file that cannot be used, with the reason.
public struct CaptionModelFileError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
