import ArgumentParser
import Encoder
import Foundation
import ImageDecoding
import Weights

/// Loads the VGG16 encoder from its safetensors file, turning every problem into one clear line.
enum EncoderLoader {
    static func load(_ path: String?) throws -> VGGEncoder {
        let url = path.map { URL(fileURLWithPath: $0) } ?? WeightsDirectory.locate("vgg16.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            reportError(url.path, "VGG16 weights not found; run scripts/setup (or caption import-weights FILE.onnx)")
            throw ExitCode(1)
        }
        do {
            return try VGGEncoder(contentsOf: url)
        } catch {
            reportError(url.path, "\(error)")
            throw ExitCode(1)
        }
    }
}

/// Reads a photo from a path, or from stdin for `-`.
enum ImageSource {
    static func decode(_ path: String, maxPixels: Int) throws -> Image {
        if path == "-" {
            return try ImageDecoder.decode(FileHandle.standardInput.readDataToEndOfFile(), maxPixels: maxPixels)
        }
        return try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path), maxPixels: maxPixels)
    }
}
