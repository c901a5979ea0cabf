import Captioning
import Foundation
import Tensors
import Testing
import Text

/// Ensembles whose members read different image features: a Show-and-Tell member (one pooled
/// vector) beside a Show-Attend-Tell member (regions). Each member must read its own columns of
/// the image row, the mixture must stay the mean of the members' probabilities, beam search must
/// reorder the attention member's images with the rest, and a model file must keep each
/// member's config and features.
@Suite struct MixedEnsembleTests {
    /// Show and Tell, F = 6, and attention over L = 3 regions of 6: rows of 6 + 18 values.
    static let showTell = ModelFixtures.model(ModelFixtures.tinyConfig(cell: .lstm, initScale: 0.3), seed: 5)
    static let attention = ModelFixtures.model(AttentionDecoderTests.config(initScale: 0.3), seed: 6)
    static let columns = [0..<6, 6..<24]
    static func rows(batch: Int, seed: UInt64 = 13) -> Tensor { ModelFixtures.features(batch: batch, size: 24, seed: seed) }

    static func member(_ m: Int, of row: Tensor) -> Tensor {
        Tensor(shape: [columns[m].count], data: Array(row.data[columns[m]]))
    }

    @Test("Each member reads its own columns; the mixture is the mean of their probabilities")
    func membersReadTheirOwnColumns() throws {
        let ensemble = try CaptionEnsemble([Self.showTell, Self.attention], inputColumns: Self.columns)
        let row = Self.rows(batch: 1).reshaped([24])
        let words = [3, 5, 6, 4]
        let mixed = ensemble.logProbabilities(of: words, feature: row)
        let a = Self.showTell.logProbabilities(of: words, feature: Self.member(0, of: row))
        let b = Self.attention.logProbabilities(of: words, feature: Self.member(1, of: row))
        #expect(mixed.count == words.count + 1)
        for t in mixed.indices {
            let expected = log((exp(Double(a[t])) + exp(Double(b[t]))) / 2)
            #expect(abs(Double(mixed[t]) - expected) < 1e-5, "step \(t): \(mixed[t]) vs \(expected)")
        }
        // Reading the other member's columns would give other probabilities.
        let swapped = try CaptionEnsemble([Self.showTell, Self.attention], inputColumns: [18..<24, 0..<18])
        #expect(zip(swapped.logProbabilities(of: words, feature: row), mixed).contains { abs($0 - $1) > 1e-3 })
    }

    @Test("Beam search, alone and in lockstep over several photos, keeps each beam's images")
    func beamSearchKeepsEachBeamsImages() throws {
        let ensemble = try CaptionEnsemble([Self.attention, Self.showTell], inputColumns: [6..<24, 0..<6])
        let search = BeamSearch(beamSize: 3, nBest: 3, maxLength: 6)
        let rows = Self.rows(batch: 3, seed: 21)
        let photos: [Tensor?] = (0..<3).map { rows.selectingRows([$0]).reshaped([24]) }
        let alone = photos.map { search.search(ensemble, feature: $0) }
        for (photo, captions) in zip(photos, alone) {
            for caption in captions {
                let rescored = ensemble.logProbability(of: caption.words, feature: photo, finished: caption.finished)
                #expect(abs(rescored - caption.logProbability) < 1e-4)
            }
        }
        let lockstep = CaptionDecoding.beam(search).captions(ensemble, features: photos)
        #expect(lockstep.map { $0.map(\.words) } == alone.map { $0.map(\.words) })
    }

    @Test("The attention maps of a mixed ensemble are its attention member's")
    func attentionMapsComeFromTheAttentionMembers() throws {
        let ensemble = try CaptionEnsemble([Self.showTell, Self.attention], inputColumns: Self.columns)
        let row = Self.rows(batch: 1).reshaped([24])
        let maps = try #require(ensemble.attention(of: [3, 5], feature: row))
        #expect(maps == Self.attention.attention(of: [3, 5], feature: Self.member(1, of: row)))
        #expect(try CaptionEnsemble([Self.showTell, Self.showTell]).attention(of: [3], feature: Self.member(0, of: row)) == nil)
    }

    @Test("A member whose input width differs from its columns is refused")
    func wrongColumnsAreRefused() {
        #expect(throws: CaptionModelFileError.self) {
            try CaptionEnsemble([Self.showTell, Self.attention], inputColumns: [0..<6, 6..<20])
        }
        #expect(throws: CaptionModelFileError.self) { try CaptionEnsemble([Self.showTell, Self.attention]) }
    }

    /// Real feature recipes: a show-tell member on mean ⊕ max (1,024) and an attention member on
    /// pool5's 49 cells, small everywhere else.
    static func realMembers() throws -> (CaptionModelFile, CaptionModelFile) {
        let vocabulary = try Vocabulary(serialized: "<end>\n<start>\n<unk>\na\nb\nc\nd")
        func spec(_ pooling: ImageFeatureSpec.Pooling, _ mean: Float) -> ImageFeatureSpec {
            let n = ImageFeatureSpec.statisticsSize(of: pooling)
            return ImageFeatureSpec(pooling: pooling, mean: (0..<n).map { mean + Float($0 % 7) }, std: [Float](repeating: 3, count: n))
        }
        var showTell = ModelFixtures.tinyConfig(cell: .lstm, initScale: 0.1)
        showTell.featureSize = 1024
        var attention = AttentionDecoderTests.config(initScale: 0.1)
        attention.featureSize = 512
        attention.regionCount = 49
        return (CaptionModelFile(model: ModelFixtures.model(showTell, seed: 8), vocabulary: vocabulary,
                                 tokenizer: Tokenizer(mode: .words), features: spec(.meanMax, 1)),
                CaptionModelFile(model: ModelFixtures.model(attention, seed: 9), vocabulary: vocabulary,
                                 tokenizer: Tokenizer(mode: .words), features: spec(.regions, 2)))
    }

    @Test("A model file keeps each member's decoder and features, and captions the same after reading")
    func modelFileRoundTrip() throws {
        let (showTell, attention) = try Self.realMembers()
        var file = showTell
        try file.addMember(attention)
        let input = try #require(file.input)
        #expect(input.size == 1024 + 49 * 512)
        #expect(input.memberColumns == [0..<1024, 1024..<(1024 + 49 * 512)])

        var rng = SplitMix64(seed: 4)
        let pool5 = Tensor(shape: [7, 7, 512], data: (0..<(49 * 512)).map { _ in Float(rng.nextUnit() * 20) })
        let row = input.vector(pool5: pool5, conv5: nil)
        #expect(row == showTell.features!.vector(pool5: pool5, conv5: nil) + attention.features!.vector(pool5: pool5, conv5: nil))

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mixed-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try file.write(to: url)
        var read = try CaptionModelFile.read(contentsOf: url)
        #expect(read.model.config == showTell.model.config && read.features == showTell.features)
        #expect(read.ensemble.count == 1)
        #expect(read.ensemble[0].model.config == attention.model.config)
        #expect(read.ensemble[0].model.parameters == attention.model.parameters)
        #expect(read.ensemble[0].features == attention.features)
        #expect(read.input == input)

        let search = BeamSearch(beamSize: 3, nBest: 2, maxLength: 6)
        let feature = Tensor(shape: [row.count], data: row)
        let expected = search.search(file.decoder, feature: feature)
        #expect(search.search(read.decoder, feature: feature) == expected)
        let packed = read.packForDecoding()
        #expect(packed is CaptionEnsemble)
        #expect(search.search(packed, feature: feature) == expected)
    }

    @Test("Members whose features share a pooling but not statistics, or that do not read images, are refused")
    func incompatibleMembersAreRefused() throws {
        let (showTell, attention) = try Self.realMembers()
        var file = showTell
        var other = attention
        other.features!.mean[0] += 1
        try file.addMember(attention)
        #expect(throws: CaptionModelFileError.self) { try file.addMember(other) }
        var textOnly = showTell
        textOnly.features = nil
        #expect(throws: CaptionModelFileError.self) { try file.addMember(textOnly) }
        #expect(file.ensemble.count == 1)
    }

    @Test("conv5-regions reads conv5_3's 196 cells, rounded to float16 as the cache keeps them")
    func conv5RegionsReadConv5() {
        let n = 196 * 512
        let conv5 = Tensor(shape: [14, 14, 512], data: (0..<n).map { Float($0 % 1000) * 0.0137 })
        let pool5 = Tensor(shape: [7, 7, 512], data: [Float](repeating: 0, count: 49 * 512))
        let spec = ImageFeatureSpec(pooling: .conv5Regions, mean: [Float](repeating: 1, count: 512),
                                    std: [Float](repeating: 2, count: 512))
        #expect(spec.size == n && spec.needsConv5 && ImageFeatureSpec.Pooling.conv5Regions.regionCount == 196)
        let vector = spec.vector(pool5: pool5, conv5: conv5)
        #expect(vector == conv5.data.map { (Float(Float16($0)) - 1) / 2 })
    }
}
