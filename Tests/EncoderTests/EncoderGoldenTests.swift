import Encoder
import Foundation
import ImageDecoding
import Tensors
import Testing
import Formats

/// The encoder against ONNX Runtime on the same pinned ONNX file (goldens made once by
/// scripts/make_encoder_goldens.py), from the photo file through decoding, preprocessing and
/// the 13 conv layers. Needs the imported weights: scripts/test runs scripts/setup first.
@Suite struct EncoderGoldenTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/encoder")
    static let weightsFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("weights/vgg16.safetensors")

    static func encoder() throws -> VGGEncoder {
        guard FileManager.default.fileExists(atPath: weightsFile.path) else {
            Issue.record("\(weightsFile.path) is missing: run scripts/setup (scripts/test does) before the tests")
            throw CancellationError()
        }
        return try VGGEncoder(contentsOf: weightsFile)
    }

    static func golden(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// cosine ≥ 0.99999 and max |error| ≤ 1e-4 · max |value|.
    static func expectClose(_ got: [Float], _ want: [Float], _ what: String) {
        #expect(got.count == want.count, "\(what): \(got.count) values, want \(want.count)")
        guard got.count == want.count else { return }
        var dot = 0.0, gotNorm = 0.0, wantNorm = 0.0
        var maxError: Float = 0, maxValue: Float = 0
        for i in got.indices {
            dot += Double(got[i]) * Double(want[i])
            gotNorm += Double(got[i]) * Double(got[i])
            wantNorm += Double(want[i]) * Double(want[i])
            maxError = max(maxError, abs(got[i] - want[i]))
            maxValue = max(maxValue, abs(want[i]))
        }
        let cosine = dot / (gotNorm.squareRoot() * wantNorm.squareRoot())
        #expect(cosine >= 0.99999, "\(what): cosine \(cosine)")
        #expect(maxError <= 1e-4 * maxValue, "\(what): max error \(maxError), max value \(maxValue)")
    }

    @Test(arguments: ["chelsea", "coffee", "rocket"])
    func pool5AndImageVectorMatchOnnxRuntime(photo: String) throws {
        let encoder = try Self.encoder()
        let image = try ImageDecoder.decode(contentsOf: Self.fixtures.appendingPathComponent("\(photo).png"))
        let out = encoder.encode(image)
        #expect(out.conv5.shape == [14, 14, 512])
        #expect(out.pool5.shape == [7, 7, 512])
        #expect(out.imageVector.shape == [512])
        Self.expectClose(out.pool5.data, try Self.golden("\(photo).pool5.f32"), "\(photo) pool5")
        Self.expectClose(out.imageVector.data, try Self.golden("\(photo).vector.f32"), "\(photo) vector")
        if photo == "chelsea" {
            Self.expectClose(out.conv5.data, try Self.golden("chelsea.conv5_3.f32"), "chelsea conv5_3")
        }
    }

    /// Batched encoding (whole images per core) gives the same numbers as one at a time.
    @Test func batchEqualsOneByOne() throws {
        let encoder = try Self.encoder()
        let images = try ["chelsea", "coffee", "rocket"].map {
            try ImageDecoder.decode(contentsOf: Self.fixtures.appendingPathComponent("\($0).png"))
        }
        let batch = encoder.encode(batch: images)
        for (image, out) in zip(images, batch) {
            #expect(encoder.encode(image).pool5.data == out.pool5.data)
        }
    }

    @Test func rejectsWeightsWithAWrongShape() throws {
        var weights = try SafeTensorsFile.read(contentsOf: Self.weightsFile).tensors
        weights["conv3_2.weight"] = Tensor(shape: [256, 128, 3, 3])
        #expect(throws: EncoderError.self) { try VGGEncoder(weights: weights) }
        weights["conv3_2.weight"] = nil
        let error = #expect(throws: EncoderError.self) { try VGGEncoder(weights: weights) }
        #expect(error?.description.contains("conv3_2.weight") == true)
    }
}
