import Foundation
import Support
import Tensors
import Formats

/// The encoder's kernels in the exact layout compute uses, written once beside the weights
/// (`vgg16.safetensors` → `vgg16.prepared.safetensors`, gitignored) and memory-mapped at later
/// starts, so a start does no float16/float32 decode and no Winograd kernel transform: each
/// `Conv2D` points at the mapped floats.
///
/// The file holds, per layer, `<name>.kernel` `[taps, Cin, Cout]` and `<name>.bias` `[Cout]`
/// (F32, data 64-byte aligned), and in its metadata each layer's algorithm and split, the
/// weights' input convention, and the source file's sha256, size and modification time. At a
/// start, a matching size and mtime are trusted; otherwise the source is hashed, and a
/// different hash (or a different plan) rebuilds the file. A folder that cannot be written
/// just means the kernels are prepared in memory at every start.
enum PreparedEncoderWeights {
    static let formatVersion = "1"

    /// `weights/vgg16.safetensors` → `weights/vgg16.prepared.safetensors`.
    static func cacheURL(for source: URL) -> URL {
        source.deletingPathExtension().appendingPathExtension("prepared.safetensors")
    }

    /// `weights/vgg16.safetensors` → `weights/vgg16.plan.json` (written by `caption bench encoder --plan`).
    static func planURL(for source: URL) -> URL {
        source.deletingPathExtension().appendingPathExtension("plan.json")
    }

    /// The 13 layers' shapes at the encoder's 224 × 224 input, what a plan is keyed by.
    static var shapes: [ConvPlan.Shape] {
        var side = VGG16Layout.inputSize
        return VGG16Layout.convLayers.map { layer in
            defer { if VGG16Layout.poolAfter.contains(layer.name) { side /= 2 } }
            return ConvPlan.Shape(height: side, width: side, inChannels: layer.inputChannels, outChannels: layer.outputChannels)
        }
    }

    /// The measured plan beside `source` if it was measured on this machine for these shapes,
    /// else the built-in one.
    static func plan(for source: URL) -> ConvPlan {
        let shapes = shapes
        if let data = try? Data(contentsOf: planURL(for: source)),
           let plan = try? JSONDecoder().decode(ConvPlan.self, from: data),
           plan.machine == ConvPlan.machine, plan.shapes == shapes {
            return plan
        }
        return ConvPlan.builtIn(shapes)
    }

    /// The encoder for `source`, from its prepared cache when that is current, else prepared
    /// now (and the cache written, if the folder allows).
    static func load(_ source: URL) throws -> VGGEncoder {
        let plan = plan(for: source)
        let stamp = try FileStamp(source)
        let cache = cacheURL(for: source)
        if let mapping = try? SafeTensorsMapping(contentsOf: cache),
           mapping.metadata["prepared_format"] == formatVersion,
           let encoder = try? encoder(from: mapping, plan: plan) {
            if mapping.metadata["source_size"] == String(stamp.size) && mapping.metadata["source_mtime"] == stamp.modified {
                return encoder
            }
            if let digest = try? SHA256.hexDigest(ofFileAt: source), digest == mapping.metadata["source_sha256"] {
                // Same bytes, new mtime (a copy or a touch): record the new stamp so the next
                // start trusts it without hashing.
                try? write(encoder, stamp: stamp, digest: digest, to: cache)
                return encoder
            }
        }
        let file = try SafeTensorsFile.read(contentsOf: source)
        let encoder = try VGGEncoder(weights: file.tensors, convention: try InputConvention(metadata: file.metadata),
                                     plan: plan)
        if let digest = try? SHA256.hexDigest(ofFileAt: source) {
            try? write(encoder, stamp: stamp, digest: digest, to: cache)
        }
        return encoder
    }

    /// Conv layers viewing the mapped kernels, if the file matches `plan` and VGG16 exactly.
    private static func encoder(from mapping: SafeTensorsMapping, plan: ConvPlan) throws -> VGGEncoder {
        var convs: [Conv2D] = []
        for (layer, choice) in zip(VGG16Layout.convLayers, plan.choices) {
            guard mapping.metadata[layer.name + ".algorithm"] == choice.algorithm.rawValue else {
                throw WeightsError.invalidHeader("\(layer.name) was prepared for another plan")
            }
            let cin = layer.inputChannels, cout = layer.outputChannels
            let taps = choice.algorithm.kernelCount(inChannels: cin, outChannels: cout) / (cin * cout)
            let kernel = try mapping.floats(layer.name + ".kernel", shape: [taps, cin, cout])
            let bias = try mapping.floats(layer.name + ".bias", shape: [cout])
            convs.append(Conv2D(preparedKernel: kernel, bias: Array(bias.buffer), inChannels: cin, outChannels: cout,
                                algorithm: choice.algorithm, split: choice.split))
        }
        return VGGEncoder(convs: convs, convention: try InputConvention(metadata: mapping.metadata))
    }

    private static func write(_ encoder: VGGEncoder, stamp: FileStamp, digest: String, to url: URL) throws {
        var tensors: [String: (shape: [Int], values: UnsafeBufferPointer<Float>)] = [:]
        var metadata = ["prepared_format": formatVersion, "source_sha256": digest,
                        "source_size": String(stamp.size), "source_mtime": stamp.modified]
        metadata.merge(encoder.convention.metadata) { $1 }
        // Bias arrays must outlive the write: keep them in storage objects for its duration.
        var biases: [FloatStorage] = []
        for (conv, layer) in zip(encoder.convs, VGG16Layout.convLayers) {
            let cin = conv.inChannels, cout = conv.outChannels
            tensors[layer.name + ".kernel"] = ([conv.kernel.count / (cin * cout), cin, cout], conv.kernel.buffer)
            let bias = FloatStorage(conv.bias)
            biases.append(bias)
            tensors[layer.name + ".bias"] = ([cout], bias.buffer)
            metadata[layer.name + ".algorithm"] = conv.algorithm.rawValue
        }
        try withExtendedLifetime(biases) {
            try SafeTensorsFile.write(floats: tensors, metadata: metadata, to: url, alignment: 64)
        }
    }
}

/// A file's size and modification time (to the nanosecond), the cheap check before hashing.
private struct FileStamp {
    let size: Int
    let modified: String

    init(_ url: URL) throws {
        var status = stat()
        guard stat(url.path, &status) == 0 else { throw FileError.unreadable(String(cString: strerror(errno))) }
        size = Int(status.st_size)
        modified = "\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
    }
}
