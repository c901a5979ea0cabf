import Captioning
import Formats
import Foundation
import Support

/// A trained captioner (or an ensemble of several) written as the compact float16 file that
/// ships, with its manifest beside it: sha256, size, settings, and each member's training
/// command, dev scores and time as recorded at training. `caption export` writes it.
public struct CaptionerExport {
    public private(set) var file: CaptionModelFile
    /// One manifest entry per file joined: its training facts, decoder and features (an
    /// ensemble file's own members share one entry, which counts them).
    private var members: [[String: String]]

    public init(_ file: CaptionModelFile) {
        self.file = file
        members = [Self.entry(file)]
    }

    /// Adds `other`'s members to the ensemble (`CaptionModelFile.addMember`).
    public mutating func add(_ other: CaptionModelFile) throws(CaptionModelFileError) {
        try file.addMember(other)
        members.append(Self.entry(other))
    }

    private static func entry(_ file: CaptionModelFile) -> [String: String] {
        var facts = ["decoder": file.model.config.decoder.rawValue,
                     "feature_pooling": file.features?.pooling.rawValue ?? "none (text-only)"]
        if !file.ensemble.isEmpty { facts["members"] = "\(file.ensemble.count + 1)" }
        return file.info.merging(facts) { own, _ in own }
    }

    /// Writes the file as float16 to `output` and the manifest to NAME.manifest.json beside
    /// it; returns the manifest's URL.
    public func write(to output: URL) throws -> URL {
        let manifestURL = output.deletingPathExtension().appendingPathExtension("manifest.json")
        try file.write(to: output, dtype: .f16)
        var manifest: [String: Any] = [
            "file": output.lastPathComponent,
            "sha256": try SHA256.hexDigest(ofFileAt: output),
            "bytes": (try FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int) ?? 0,
            "dtype": "F16",
            "vocabulary_size": file.vocabulary.count,
            "config": try JSONSerialization.jsonObject(with: JSONEncoder().encode(file.model.config)),
            "feature_pooling": file.features?.pooling.rawValue ?? "none (text-only)",
            "parameters": file.ensemble.reduce(file.model.parameterCount) { $0 + $1.model.parameterCount },
        ]
        for (key, value) in file.info { manifest[key] = value }
        if members.count > 1 { manifest["ensemble_members"] = members }
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: manifestURL, options: .atomic)
        return manifestURL
    }
}
