import Text
import Foundation
import Tensors
import Formats

/// A trained aligner on disk: one safetensors file holding the `AlignmentModel` parameters, its
/// config, the vocabulary and the tokenizer mode, so a model and the word ids it was trained on
/// can never be separated. The one loader that train, evaluate, score, retrieve and align use.
///
/// Tensors: the model's parameters by name (`AlignmentParameter`).
/// Metadata: `format` = `caption-aligner-1`, `config` (`AlignmentConfig` as JSON), `vocabulary`
/// (one word a line, in id order), `tokenizer` (words | characters), optionally `calibration`
/// (`MatchCalibration` as JSON: what S / words means as a match probability), and free-form
/// `info.*` entries (training command, dev retrieval figures).
public struct AlignmentModelFile: Sendable {
    public static let format = "caption-aligner-1"

    public var model: AlignmentModel
    public var vocabulary: Vocabulary
    public var tokenizer: Tokenizer
    /// Free-form facts about the run that made the model: training command, dev recalls, …
    public var info: [String: String]
    /// S / words → match probability, fitted on a dev split; nil until calibrated
    /// (`caption evaluate alignment --calibrate`, or the trainer when it saves the best model).
    public var calibration: MatchCalibration?

    public init(model: AlignmentModel, vocabulary: Vocabulary, tokenizer: Tokenizer, info: [String: String] = [:],
                calibration: MatchCalibration? = nil) {
        precondition(vocabulary.count == model.config.vocabularySize, "vocabulary and aligner disagree on size")
        self.model = model
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.info = info
        self.calibration = calibration
    }

    /// Writes the file atomically (a reader sees the old file or the whole new one). `.f16`
    /// halves the size; scores move by ~1e-3 relative, far below what changes a ranking.
    public func write(to url: URL, dtype: SafeTensorsDType = .f32) throws {
        var metadata = [
            "format": Self.format,
            "config": String(decoding: try JSONEncoder().encode(model.config), as: UTF8.self),
            "vocabulary": vocabulary.serialized,
            "tokenizer": tokenizer.mode.rawValue,
        ]
        if let calibration {
            metadata["calibration"] = String(decoding: try JSONEncoder().encode(calibration), as: UTF8.self)
        }
        for (key, value) in info { metadata["info.\(key)"] = value }
        try SafeTensorsFile.write(model.parameters, metadata: metadata, to: url, dtype: dtype)
    }

    /// Reads and checks a file written by `write`: format, config, vocabulary size against the
    /// embedding, every parameter's name and shape.
    public static func read(contentsOf url: URL) throws -> AlignmentModelFile {
        let file = try SafeTensorsFile.read(contentsOf: url)
        func field(_ key: String) throws(AlignmentModelFileError) -> String {
            guard let value = file.metadata[key] else {
                throw AlignmentModelFileError("metadata '\(key)' is missing (not an aligner file?)")
            }
            return value
        }
        let format = try field("format")
        guard format == Self.format else {
            throw AlignmentModelFileError("format '\(format)' is not \(Self.format)"
                                          + (format.hasPrefix("caption-captioner") ? " (this is a captioner, not an aligner)" : ""))
        }
        let configText = try field("config")
        guard let config = try? JSONDecoder().decode(AlignmentConfig.self, from: Data(configText.utf8)) else {
            throw AlignmentModelFileError("metadata 'config' is not a valid aligner config")
        }
        let vocabulary: Vocabulary
        do {
            vocabulary = try Vocabulary(serialized: try field("vocabulary"))
        } catch let error as Vocabulary.FormatError {
            throw AlignmentModelFileError("metadata 'vocabulary': \(error.description)")
        }
        guard let mode = Tokenizer.Mode(rawValue: try field("tokenizer")) else {
            throw AlignmentModelFileError("unknown tokenizer '\(file.metadata["tokenizer"] ?? "")'")
        }
        guard vocabulary.count == config.vocabularySize else {
            throw AlignmentModelFileError("vocabulary has \(vocabulary.count) words, the model \(config.vocabularySize)")
        }
        let model: AlignmentModel
        do {
            model = try AlignmentModel(config: config, parameters: file.tensors)
        } catch {
            throw AlignmentModelFileError(error.description)
        }
        var calibration: MatchCalibration?
        if let text = file.metadata["calibration"] {
            guard let decoded = try? JSONDecoder().decode(MatchCalibration.self, from: Data(text.utf8)),
                  decoded.a.isFinite && decoded.b.isFinite else {
                throw AlignmentModelFileError("metadata 'calibration' is not a valid match calibration (expected {\"a\": number, \"b\": number})")
            }
            calibration = decoded
        }
        var info: [String: String] = [:]
        for (key, value) in file.metadata where key.hasPrefix("info.") { info[String(key.dropFirst(5))] = value }
        return AlignmentModelFile(model: model, vocabulary: vocabulary, tokenizer: Tokenizer(mode: mode), info: info,
                                  calibration: calibration)
    }

    /// `.f16` when every parameter is a float16 value (a model read from a float16 file), else
    /// `.f32`: rewriting a file in it (to add a calibration) keeps every weight bit for bit, and a
    /// float16 file at its size.
    public var losslessDType: SafeTensorsDType {
        let halfExact = model.parameters.values.allSatisfy { tensor in
            tensor.data.allSatisfy { Float(Float16($0)) == $0 }
        }
        return halfExact ? .f16 : .f32
    }

    /// A sentence as the model reads it: the tokenizer's tokens and their word ids (words outside
    /// the vocabulary become `<unk>`, which still gets a learned vector).
    public func encode(_ sentence: String) -> (tokens: [String], ids: [Int]) {
        let tokens = tokenizer.tokens(sentence)
        return (tokens, vocabulary.encode(tokens))
    }
}

/// An aligner file that cannot be used, with the reason.
public struct AlignmentModelFileError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
