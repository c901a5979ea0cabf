import Captioning
import Foundation
import Tensors
import Formats

/// A resumable snapshot of a training run: parameters (`model.*`), optimizer moments
/// (`optimizer.*`) and where the run stands (epoch, minibatch, running loss, best score), in one
/// safetensors file written atomically, so a crash leaves the previous checkpoint intact.
///
/// The same layout serves every trainer; `format` tells a captioner's checkpoint from an
/// aligner's, and the saved config must equal the resuming run's.
enum TrainingCheckpoint {
    /// Writes any model's parameters, its config (as JSON), the optimizer state and `state`.
    static func save<Config: Encodable>(to url: URL, format: String, parameters: [String: Tensor], config: Config,
                                        optimizer: any Optimizer, state: TrainingState) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in parameters { tensors["model.\(name)"] = tensor }
        for (name, tensor) in optimizer.state { tensors["optimizer.\(name)"] = tensor }
        let metadata = [
            "format": format,
            "config": String(decoding: try JSONEncoder().encode(config), as: UTF8.self),
            "state": String(decoding: try JSONEncoder().encode(state), as: UTF8.self),
        ]
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a checkpoint of `format` whose config must equal `config`; changes nothing, so a
    /// refused checkpoint leaves the caller's fresh model as it was.
    static func read<Config: Decodable & Equatable>(from url: URL, format: String, expecting config: Config) throws
        -> (parameters: [String: Tensor], optimizer: [String: Tensor], state: TrainingState) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError("\(url.path): no checkpoint to resume from")
        }
        let file = try SafeTensorsFile.read(contentsOf: url)
        guard file.metadata["format"] == format,
              let configText = file.metadata["config"], let stateText = file.metadata["state"] else {
            throw TrainingError("\(url.path): not a training checkpoint of this kind (\(format))")
        }
        let saved = try JSONDecoder().decode(Config.self, from: Data(configText.utf8))
        guard saved == config else {
            throw TrainingError("\(url.path): the checkpoint's model (\(configText)) differs from this run's settings")
        }
        var parameters: [String: Tensor] = [:], optimizerState: [String: Tensor] = [:]
        for (name, tensor) in file.tensors {
            if name.hasPrefix("model.") { parameters[String(name.dropFirst(6))] = tensor }
            if name.hasPrefix("optimizer.") { optimizerState[String(name.dropFirst(10))] = tensor }
        }
        let state = try JSONDecoder().decode(TrainingState.self, from: Data(stateText.utf8))
        return (parameters, optimizerState, state)
    }
}
