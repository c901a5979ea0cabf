import Foundation
import Tensors
import Formats
import Support

/// Imports the conv weights of a VGG-style ONNX model into a safetensors file plus manifest.
///
/// It takes the graph's `Conv` nodes in order (ONNX stores nodes topologically sorted), pairs
/// them one-to-one with `layout.layers`, follows each weight and bias input back to its constant
/// (an initializer, possibly behind `Identity` nodes, or a `Constant` node) and checks shapes and
/// kernel/stride/pad attributes before anything is written. Output tensors are named
/// `<layer>.weight` (OIHW) and `<layer>.bias`, stored as F32. Any disagreement is a
/// `WeightsError.layoutMismatch` naming the layer.
///
/// Keras exports (tf2onnx) and torchvision/model-zoo exports import the same way; they differ
/// in the input colour order the first layer expects, recorded in the metadata (see
/// `InputConvention`).
public struct ONNXConvImporter: Sendable {
    public var layout: ConvNetLayout

    public init(layout: ConvNetLayout = .vgg16) {
        self.layout = layout
    }

    /// The weights of one layer and the ONNX names they came from.
    public struct LayerWeights: Sendable {
        public var spec: ConvLayerSpec
        public var onnxNode: String
        public var weightSource: String
        public var biasSource: String
        /// [out, in, k, k]
        public var weight: Tensor
        /// [out]
        public var bias: Tensor
    }

    /// Finds, checks and decodes every layer's weights; writes nothing.
    public func extractLayers(from model: ONNXModel) throws -> [LayerWeights] {
        let graph = model.graph
        let convs = graph.nodes.filter { $0.opType == "Conv" && ($0.domain.isEmpty || $0.domain == "ai.onnx") }
        if convs.count < layout.layers.count {
            throw WeightsError.layoutMismatch(layer: layout.layers[convs.count].name,
                "not found: the graph has \(convs.count) Conv nodes, \(layout.name) has \(layout.layers.count)")
        }
        if convs.count > layout.layers.count {
            throw WeightsError.layoutMismatch(layer: layout.layers.last?.name ?? layout.name,
                "followed by \(convs.count - layout.layers.count) more Conv node(s) (first: '\(convs[layout.layers.count].name)'); \(layout.name) has \(layout.layers.count)")
        }
        var producers: [String: ONNXNode] = [:]
        for node in graph.nodes {
            for output in node.outputs where !output.isEmpty { producers[output] = node }
        }
        return try zip(layout.layers, convs).map { spec, node in
            try checkAttributes(of: node, against: spec)
            guard node.inputs.count >= 2, !node.inputs[1].isEmpty else {
                throw WeightsError.layoutMismatch(layer: spec.name, "Conv node '\(node.name)' has no weight input")
            }
            guard node.inputs.count >= 3, !node.inputs[2].isEmpty else {
                throw WeightsError.layoutMismatch(layer: spec.name, "Conv node '\(node.name)' has no bias")
            }
            let weight = try constant(node.inputs[1], role: "weight", of: spec, graph: graph, producers: producers)
            let bias = try constant(node.inputs[2], role: "bias", of: spec, graph: graph, producers: producers)
            // Shapes are checked on the declared dims, before the values are decoded.
            try checkShape(weight, expected: spec.weightShape, role: "weight", of: spec)
            try checkShape(bias, expected: spec.biasShape, role: "bias", of: spec)
            return LayerWeights(spec: spec, onnxNode: node.name,
                                weightSource: weight.source, biasSource: bias.source,
                                weight: try weight.tensor.floatTensor(), bias: try bias.tensor.floatTensor())
        }
    }

    /// Imports `source` into `output` (safetensors) and writes the manifest beside it, named
    /// like `output` with `.manifest.json` in place of its extension. Both writes are atomic.
    public func importWeights(onnx source: URL, to output: URL) throws -> ImportReport {
        let sourceBytes = try MappedFile.read(source)
        let sourceSHA256 = SHA256.hex(SHA256.hash(sourceBytes))
        let model = try ONNXModel(serialized: sourceBytes)
        let layers = try extractLayers(from: model)
        let convention = InputConvention.forProducer(model.producerName)
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")

        var tensors: [String: Tensor] = [:]
        for layer in layers {
            tensors[layer.spec.weightName] = layer.weight
            tensors[layer.spec.biasName] = layer.bias
        }
        let metadata = [
            "architecture": layout.name,
            "source": source.lastPathComponent,
            "source_sha256": sourceSHA256,
            "producer": producer,
            "layout": "OIHW",
            "input_channel_order": convention.channelOrder.rawValue,
            "preprocessing": convention.preprocessing,
        ]
        let directory = output.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw WeightsError.unwritable(path: directory.path, MappedFile.reason(for: error))
        }
        try SafeTensorsFile.write(tensors, metadata: metadata, to: output, dtype: .f32)

        let manifest = ImportManifest(
            architecture: layout.name, source: source.path, sourceSHA256: sourceSHA256,
            output: output.lastPathComponent, outputSHA256: try SHA256.hexDigest(ofFileAt: output),
            producer: producer, inputChannelOrder: convention.channelOrder.rawValue,
            preprocessing: convention.preprocessing, weightLayout: "OIHW", dtype: SafeTensorsDType.f32.rawValue,
            parameterCount: layout.parameterCount,
            layers: layers.map {
                ImportManifest.Layer(name: $0.spec.name, weightShape: $0.weight.shape, biasShape: $0.bias.shape,
                                     onnxNode: $0.onnxNode, weightSource: $0.weightSource, biasSource: $0.biasSource)
            },
            importedAt: ISO8601DateFormatter().string(from: Date()))
        let manifestURL = Self.manifestURL(for: output)
        try manifest.write(to: manifestURL)
        return ImportReport(output: output, manifestURL: manifestURL, manifest: manifest)
    }

    /// `weights/vgg16.safetensors` → `weights/vgg16.manifest.json`.
    public static func manifestURL(for output: URL) -> URL {
        output.deletingPathExtension().appendingPathExtension("manifest.json")
    }

    // MARK: - Graph walking and checks

    private struct Constant {
        var tensor: ONNXTensor
        /// Initializer name, or the producing Constant node's output name.
        var source: String
    }

    /// Follows `name` back through Identity nodes to an initializer or a Constant node.
    private func constant(_ name: String, role: String, of spec: ConvLayerSpec,
                          graph: ONNXGraph, producers: [String: ONNXNode]) throws -> Constant {
        var current = name
        // Bounded so a cyclic (invalid) graph cannot loop forever.
        for _ in 0 ..< 64 {
            if let initializer = graph.initializer(named: current) {
                return Constant(tensor: initializer, source: current)
            }
            guard let producer = producers[current] else {
                throw WeightsError.layoutMismatch(layer: spec.name,
                    "\(role) '\(current)' is neither an initializer nor the output of a node")
            }
            switch producer.opType {
            case "Identity" where !(producer.inputs.first ?? "").isEmpty:
                current = producer.inputs[0]
            case "Constant":
                guard var tensor = producer.attribute("value")?.tensor else {
                    throw WeightsError.layoutMismatch(layer: spec.name,
                        "\(role) comes from Constant node '\(producer.name)' without a tensor 'value'")
                }
                if tensor.name.isEmpty { tensor.name = current }
                return Constant(tensor: tensor, source: current)
            default:
                throw WeightsError.layoutMismatch(layer: spec.name,
                    "\(role) is computed by \(producer.opType) node '\(producer.name)'; expected an initializer")
            }
        }
        throw WeightsError.layoutMismatch(layer: spec.name, "\(role) '\(name)' is behind too many Identity nodes")
    }

    private func checkShape(_ constant: Constant, expected: [Int], role: String, of spec: ConvLayerSpec) throws {
        guard constant.tensor.dims == expected else {
            let order = role == "weight" ? " (OIHW)" : ""
            throw WeightsError.layoutMismatch(layer: spec.name,
                "\(role) '\(constant.source)' has shape \(constant.tensor.dims), expected \(expected)\(order)")
        }
    }

    /// Attributes are optional in ONNX (defaults: stride 1, no padding), so each is checked when
    /// present, and padding also when absent, since then it is zero unless `auto_pad` says SAME.
    private func checkAttributes(of node: ONNXNode, against spec: ConvLayerSpec) throws {
        func fail(_ reason: String) -> WeightsError {
            .layoutMismatch(layer: spec.name, "Conv node '\(node.name)': \(reason)")
        }
        let k = Int64(spec.kernelSize), s = Int64(spec.stride), p = Int64(spec.padding)
        if let kernel = node.attribute("kernel_shape"), kernel.ints != [k, k] {
            throw fail("kernel_shape \(kernel.ints), expected [\(k), \(k)]")
        }
        if let strides = node.attribute("strides"), strides.ints != [s, s] {
            throw fail("strides \(strides.ints), expected [\(s), \(s)]")
        }
        if let dilations = node.attribute("dilations"), dilations.ints.contains(where: { $0 != 1 }) {
            throw fail("dilations \(dilations.ints), expected [1, 1]")
        }
        if let group = node.attribute("group")?.int, group != 1 {
            throw fail("group \(group), expected 1")
        }
        let autoPad = node.attribute("auto_pad")?.string ?? "NOTSET"
        switch autoPad {
        case "NOTSET":
            let pads = node.attribute("pads")?.ints ?? [0, 0, 0, 0]
            if pads != [p, p, p, p] { throw fail("pads \(pads), expected [\(p), \(p), \(p), \(p)]") }
        case "SAME_UPPER", "SAME_LOWER":
            // With stride 1 and an odd kernel, SAME pads (k - 1) / 2 on every side.
            if s != 1 || k % 2 == 0 || p != (k - 1) / 2 { throw fail("auto_pad \(autoPad) does not give padding \(p)") }
        case "VALID":
            if p != 0 { throw fail("auto_pad VALID, expected padding \(p)") }
        default:
            throw fail("unknown auto_pad '\(autoPad)'")
        }
    }
}

/// What an import produced: the two files written and the manifest's contents.
public struct ImportReport: Sendable {
    public var output: URL
    public var manifestURL: URL
    public var manifest: ImportManifest

    /// One line for the CLI, e.g. "imported 13 conv layers (14714688 parameters, BGR input) …".
    public var summary: String {
        "imported \(manifest.layers.count) conv layers (\(manifest.parameterCount) parameters, "
            + "\(manifest.inputChannelOrder) input, from \(manifest.producer.isEmpty ? "unknown producer" : manifest.producer)) "
            + "into \(output.path), sha256 \(manifest.outputSHA256)"
    }
}

/// Imports VGG16's 13 conv layers from `onnx` into `output`; see `ONNXConvImporter`.
public func importVGG16(onnx source: URL, to output: URL) throws -> ImportReport {
    try ONNXConvImporter(layout: .vgg16).importWeights(onnx: source, to: output)
}
