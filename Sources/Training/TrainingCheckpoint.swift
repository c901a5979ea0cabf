import Captioning
import Foundation
import Tensors
import Weights

/// A resumable snapshot of a training run: parameters (`model.*`), optimizer moments
/// (`optimizer.*`) and where the run stands (epoch, minibatch, running loss, best score), in one
/// safetensors file written atomically, so a crash leaves the previous checkpoint intact.
enum TrainingCheckpoint {
    static func save(to url: URL, model: CaptionModel, optimizer: any Optimizer, state: TrainingState) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in model.parameters { tensors["model.\(name)"] = tensor }
        for (name, tensor) in optimizer.state { tensors["optimizer.\(name)"] = tensor }
        let metadata = [
            "format": "caption-checkpoint-1",
            "config": String(decoding: try JSONEncoder().encode(model.config), as: UTF8.self),
            "state": String(decoding: try JSONEncoder().encode(state), as: UTF8.self),
        ]
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url)
    }

    static func restore(from url: URL, model: inout CaptionModel, optimizer: inout any Optimizer,
                        state: inout TrainingState) throws {
        let file = try SafeTensorsFile.read(contentsOf: url)
        guard file.metadata["format"] == "caption-checkpoint-1",
              let configText = file.metadata["config"], let stateText = file.metadata["state"] else {
            throw TrainingError("\(url.path): not a training checkpoint")
        }
        let config = try JSONDecoder().decode(CaptionModel.Config.self, from: Data(configText.utf8))
        guard config == model.config else {
            throw TrainingError("\(url.path): the checkpoint's model (\(configText)) differs from this run's settings")
        }
        var parameters: [String: Tensor] = [:], optimizerState: [String: Tensor] = [:]
        for (name, tensor) in file.tensors {
            if name.hasPrefix("model.") { parameters[String(name.dropFirst(6))] = tensor }
            if name.hasPrefix("optimizer.") { optimizerState[String(name.dropFirst(10))] = tensor }
        }
        model = try CaptionModel(config: config, parameters: parameters)
        optimizer.restore(optimizerState)
        state = try JSONDecoder().decode(TrainingState.self, from: Data(stateText.utf8))
    }
}
