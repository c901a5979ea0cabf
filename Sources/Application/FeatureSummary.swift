import Encoder
import Formats
import Foundation
import ImageDecoding
import Support
import Tensors

/// How a photo's features are shown.
public enum FeatureSummary {
    /// `chelsea.jpg  451×300  vector[512] mean 1.234 max 12.345 active 401/512  top 123:12.3 45:11.0 300:9.8`
    public static func text(_ path: String, _ image: Image, _ features: EncoderOutput) -> String {
        let v = features.imageVector.data
        let mean = v.reduce(0, +) / Float(v.count)
        let active = v.filter { $0 > 0 }.count
        let top = v.indices.sorted { v[$0] > v[$1] }.prefix(5)
            .map { "\($0):" + String(format: "%.1f", v[$0]) }.joined(separator: " ")
        return "\(path)  \(image.width)×\(image.height)  vector[\(v.count)] mean \(String(format: "%.3f", mean)) "
            + "max \(String(format: "%.3f", v.max() ?? 0)) active \(active)/\(v.count)  top channels \(top)"
    }

    public static func json(_ path: String, _ image: Image, _ features: EncoderOutput) -> String {
        JSON.object([("image", .string(path)), ("width", .int(image.width)), ("height", .int(image.height)),
                     ("vector", .array(features.imageVector.data.map { .compact($0) }))]).text
    }

    /// `caption features --out`: every photo's vector and pool5, named `<path>.vector` and
    /// `<path>.pool5`, in one safetensors file.
    public static func write(_ features: [(path: String, output: EncoderOutput)], producer: String, to path: String) throws(CaptionError) {
        var tensors: [String: Tensor] = [:]
        for (photo, output) in features {
            tensors["\(photo).vector"] = output.imageVector
            tensors["\(photo).pool5"] = output.pool5
        }
        do {
            try SafeTensorsFile.write(tensors, metadata: ["producer": producer,
                                                          "layout": "pool5 is [7, 7, 512] HWC; vector is the mean of pool5's cells"],
                                      to: URL(fileURLWithPath: path))
        } catch {
            throw .input(path, "\(error)")
        }
    }
}
