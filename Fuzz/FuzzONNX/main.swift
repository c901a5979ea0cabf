// libFuzzer target: ONNXModel(serialized:) (the protobuf wire reader and the ONNX messages),
// then, for a model that parses, every initializer's floatTensor() and the importer's graph
// walk (ONNXConvImporter.extractLayers) for VGG16 and for the 3-conv layout of the test
// fixtures, so mutated fixtures get past the layer-count check. Each input is also read as a
// Data slice whose indices do not start at 0. Build and run: README, "Fuzzing".
import CFuzzing
import Foundation
import Encoder
import Formats

private let layouts: [ConvNetLayout] = [
    .vgg16,
    ConvNetLayout(name: "tiny", layers: [
        ConvLayerSpec(name: "conv1", inputChannels: 3, outputChannels: 4),
        ConvLayerSpec(name: "conv2", inputChannels: 4, outputChannels: 4),
        ConvLayerSpec(name: "conv3", inputChannels: 4, outputChannels: 8),
    ]),
]

/// Runs `body`; an error is fine, but the CLI prints it as one line after the file name.
private func expectOneLineError<T>(_ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch {
        precondition(!"\(error)".contains(where: \.isNewline), "multi-line error: \(error)")
        return nil
    }
}

private func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Data(bytes: $0, count: count) } ?? Data()
    for data in [input, (Data([0x5A, 0x5A]) + input).dropFirst(2)] {
        guard let model = expectOneLineError({ try ONNXModel(serialized: data) }) else { continue }
        for tensor in model.graph.initializers {
            _ = expectOneLineError { try tensor.floatTensor() }
        }
        for layout in layouts {
            _ = expectOneLineError { try ONNXConvImporter(layout: layout).extractLayers(from: model) }
        }
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { testOneInput($0, $1) })
