import Alignment
import Tensors
import Testing

/// The batched forward pass (packed BRNN, tiled score GEMMs) against `ReferenceAlignment`, the
/// paper's equations evaluated one vector at a time.
@Suite struct ForwardReferenceTests {
    let model: AlignmentModel
    let images: [Tensor]
    let sentences: [[Int]]

    init() {
        var fixtures = AlignmentFixtures(seed: 11)
        let config = AlignmentConfig(vocabularySize: 13, featureSize: 10, wordSize: 8, hiddenSize: 12)
        model = fixtures.withRandomBiases(AlignmentModel(config: config, seed: 11))
        // 11 images: more than one 8-image tile, so tile boundaries are crossed.
        images = (0..<11).map { _ in fixtures.regions(count: 6, features: 10, scale: 100) }
        sentences = [7, 1, 4, 7, 3, 0, 9, 2, 5].map { fixtures.sentence(length: $0, vocabularySize: 13) }
    }

    static func expectClose(_ actual: Float, _ expected: Double, _ what: String) {
        #expect(abs(Double(actual) - expected) <= 1e-4 * max(1, abs(expected)), "\(what): \(actual) vs reference \(expected)")
    }

    @Test func sentenceVectorsFollowTheBRNNEquations() {
        let reference = ReferenceAlignment(parameters: model.parameters)
        // Batched (packed, reordered by length) and one at a time must both match.
        let batched = model.embedSentences(sentences, batchSize: 4)
        for (index, sentence) in sentences.enumerated() {
            let expected = reference.wordVectors(sentence)
            let single = model.embedSentence(sentence)
            #expect(single.shape == [sentence.count, 12])
            // Equal up to rounding: OpenBLAS's kernels may sum a GEMM row in another order
            // when the batch holds more rows (it does on some AMD machines).
            #expect(batched[index].shape == single.shape)
            for t in sentence.indices {
                for j in 0..<12 {
                    Self.expectClose(single.data[t * 12 + j], expected[t][j], "s[\(index)][\(t)][\(j)]")
                    Self.expectClose(batched[index].data[t * 12 + j], Double(single.data[t * 12 + j]), "batched s[\(index)][\(t)][\(j)]")
                }
            }
        }
    }

    @Test func regionVectorsAreLinearInNormalizedFeatures() {
        let reference = ReferenceAlignment(parameters: model.parameters)
        let v = model.embedRegions(images[0])
        let expected = reference.regionVectors(images[0])
        #expect(v.shape == [6, 12])
        for i in 0..<6 {
            for j in 0..<12 { Self.expectClose(v.data[i * 12 + j], expected[i][j], "v[\(i)][\(j)]") }
        }
        // Scale-free: the same features ×1000 embed identically (up to rounding).
        var scaled = images[0]
        scaled.data = scaled.data.map { $0 * 1000 }
        let w = model.embedRegions(scaled)
        #expect(zip(v.data, w.data).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test func pairScoreAndAlignmentMatchReference() {
        let reference = ReferenceAlignment(parameters: model.parameters)
        for sentence in sentences.prefix(4) {
            let pair = model.score(regions: images[1], sentence: sentence)
            let expected = reference.score(regions: images[1], sentence: sentence)
            Self.expectClose(pair.raw, expected.raw, "S")
            Self.expectClose(pair.normalized, expected.raw / Double(sentence.count), "S/T")
            #expect(pair.alignment == expected.alignment)
            #expect(abs(pair.wordScores.reduce(0, +) - pair.raw) <= 1e-4)
        }
        let empty = model.score(regions: images[1], sentence: [])
        #expect(empty == PairAlignment(raw: 0, normalized: 0, alignment: [], wordScores: []))
    }

    /// The B × B matrix the loss sees (in either score space) and the all-pairs retrieval matrix
    /// both equal per-pair scores.
    @Test(arguments: AlignmentScoreSpace.allCases)
    func batchAndRetrievalMatricesMatchPairScores(space: AlignmentScoreSpace) throws {
        var config = model.config
        config.scoreSpace = space
        let model = try AlignmentModel(config: config, parameters: self.model.parameters)
        let batch = Array(images.prefix(sentences.count))
        let lossScores = model.loss(regions: batch, sentences: sentences).scores
        let matrix = AlignmentScoreMatrix(regionEmbeddings: images.map(model.embedRegions),
                                          sentenceEmbeddings: model.embedSentences(sentences))
        #expect(lossScores.shape == [sentences.count, sentences.count])
        #expect(matrix.raw.shape == [images.count, sentences.count])
        for (k, image) in images.enumerated() {
            for (l, sentence) in sentences.enumerated() {
                let pair = model.score(regions: image, sentence: sentence)
                let tolerance = 1e-4 * max(1, abs(pair.raw))
                if k < sentences.count {
                    #expect(abs(lossScores.data[k * sentences.count + l] - pair.raw) <= tolerance, "loss S[\(k), \(l)]")
                }
                #expect(abs(matrix.raw.data[k * sentences.count + l] - pair.raw) <= tolerance, "raw S[\(k), \(l)]")
                #expect(abs(matrix.normalized.data[k * sentences.count + l] - pair.normalized) <= tolerance,
                        "normalized S[\(k), \(l)]")
            }
        }
    }

    /// Many sentences: word blocks aligned to sentence boundaries, several row tiles.
    @Test func retrievalMatrixOverManyTiles() {
        var fixtures = AlignmentFixtures(seed: 12)
        let many = (0..<120).map { _ in fixtures.sentence(length: 1 + Int(fixtures.generator.next() % 12), vocabularySize: 13) }
        let v = images.map(model.embedRegions)
        let s = model.embedSentences(many, batchSize: 50)
        let matrix = AlignmentScoreMatrix(regionEmbeddings: v, sentenceEmbeddings: s)
        for k in [0, 7, 8, 10] {
            for l in stride(from: 0, to: many.count, by: 7) {
                let pair = AlignmentModel.align(regionEmbeddings: v[k], sentenceEmbedding: s[l])
                #expect(abs(matrix.raw.data[k * many.count + l] - pair.raw) <= 1e-4 * max(1, abs(pair.raw)))
            }
        }
    }
}
