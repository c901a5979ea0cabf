import Application
import ArgumentParser
import Encoder
import Foundation
import Formats

/// `caption import-weights FILE.onnx`: ONNX VGG16 → the encoder's safetensors file.
struct ImportWeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-weights",
        abstract: "Import VGG16's conv weights from an ONNX file.",
        discussion: """
        Finds the 13 Conv nodes in graph order, checks their shapes against VGG16's \
        (3×3 kernels, 64-64-128-128-256×3-512×6 channels), and writes them as \
        conv1_1.weight … conv5_3.bias to a safetensors file, with a manifest beside it that \
        records the source's sha256. scripts/setup runs this on the pinned Keras VGG16 \
        (ImageNet weights, BGR "caffe" input). Other VGG16 exports import the same way \
        (e.g. the ONNX model zoo's torchvision layout), and the encoder applies their RGB \
        normalization instead.

        Example:
          caption import-weights .cache/vgg16.onnx
        """)

    @Argument(help: ArgumentHelp("An ONNX model holding VGG16's conv layers.", valueName: "file.onnx"))
    var onnx: String

    @Option(help: ArgumentHelp("Where to write the weights (default: weights/vgg16.safetensors).", valueName: "file"))
    var out: String?

    func run() throws {
        let output = out.map { URL(fileURLWithPath: $0) } ?? ModelFiles.shipped("vgg16.safetensors")
        do {
            let report = try importVGG16(onnx: URL(fileURLWithPath: onnx), to: output)
            emit(report.summary)
            // Writes the prepared kernels beside the weights now, so the first caption maps them.
            _ = try VGGEncoder(contentsOf: output)
        } catch {
            throw CaptionError.input(onnx, "\(error)")
        }
    }
}
