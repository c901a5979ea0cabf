import Encoder
import ImageDecoding
import Testing
import Formats

/// The two input conventions the importer can record, on a one-color photo.
@Suite struct PreprocessTests {
    static let photo: Image = {
        var pixels = [UInt8]()
        for _ in 0..<(224 * 224) { pixels += [200, 100, 50] }
        return Image(width: 224, height: 224, pixels: pixels)
    }()

    @Test func caffeIsBGRMinusMeans() {
        let x = Preprocess.tensor(from: Self.photo, convention: .keras)
        #expect(x.shape == [224, 224, 3])
        let want: [Float] = [50 - 103.939, 100 - 116.779, 200 - 123.68]
        #expect(Array(x.data[0..<3]) == want)
    }

    @Test func torchIsRGBScaledAndStandardized() {
        let x = Preprocess.tensor(from: Self.photo, convention: .torch)
        let want: [Float] = [(200 / 255 - 0.485) / 0.229, (100 / 255 - 0.456) / 0.224, (50 / 255 - 0.406) / 0.225]
        for c in 0..<3 { #expect(abs(x.data[c] - want[c]) < 1e-5) }
    }

    @Test func otherSizesAreResizedWholeWithoutCrop() {
        let wide = Image(width: 448, height: 100, pixels: [UInt8](repeating: 128, count: 448 * 100 * 3))
        let x = Preprocess.tensor(from: wide)
        #expect(x.shape == [224, 224, 3])
        let want: [Float] = [128 - 103.939, 128 - 116.779, 128 - 123.68]
        for p in 0..<(224 * 224) {
            for c in 0..<3 where abs(x.data[3 * p + c] - want[c]) > 1e-3 {
                Issue.record("pixel \(p) channel \(c): \(x.data[3 * p + c])")
                return
            }
        }
    }
}
