import Encoder
import Foundation
import ImageDecoding
import Testing

/// The encoder sees the same photo whatever the file format: chelsea.png saved losslessly as
/// WebP, BMP or TIFF gives pool5 features within cosine 0.9999 of the PNG's; saved lossily at
/// quality 90 (WebP, HEIC, AVIF, JPEG; files made by scripts/make_format_fixtures.py) within
/// 0.98.
@Suite struct FormatFeatureTests {
    static let formats = EncoderGoldenTests.fixtures.appendingPathComponent("formats")

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            aa += Double(a[i]) * Double(a[i])
            bb += Double(b[i]) * Double(b[i])
        }
        return dot / (aa.squareRoot() * bb.squareRoot())
    }

    @Test func everyFormatGivesThePNGsFeatures() throws {
        let encoder = try EncoderGoldenTests.encoder()
        let png = try ImageDecoder.decode(contentsOf: EncoderGoldenTests.fixtures.appendingPathComponent("chelsea.png"))
        let files: [(name: String, minimumCosine: Double)] = [
            ("chelsea.lossless.webp", 0.9999), ("chelsea.bmp", 0.9999), ("chelsea.tif", 0.9999),
            ("chelsea.q90.webp", 0.98), ("chelsea.q90.heic", 0.98), ("chelsea.q90.avif", 0.98), ("chelsea.q90.jpg", 0.98),
        ]
        let images = try files.map { try ImageDecoder.decode(contentsOf: Self.formats.appendingPathComponent($0.name)) }
        let outputs = encoder.encode(batch: [png] + images)
        let reference = outputs[0].pool5.data
        for (file, output) in zip(files, outputs.dropFirst()) {
            let similarity = Self.cosine(output.pool5.data, reference)
            #expect(similarity >= file.minimumCosine, "\(file.name): cosine \(similarity)")
            // A lossless copy is the same picture: its features are not just close but equal.
            if file.minimumCosine > 0.99 { #expect(output.pool5.data == reference, "\(file.name)") }
        }
    }
}
