import Captioning
import Tensors
import Formats
import Testing

/// Parameter names, shapes, counts and initialization.
struct ParameterTests {
    @Test("parameterCount matches V·E + F·E + E + (E+H)·G·H + G·H + H·V + V",
          arguments: CellKind.allCases, [false, true])
    func countFormula(cell: CellKind, textOnly: Bool) {
        let config = CaptionModel.Config(vocabularySize: 23, embeddingSize: 7, hiddenSize: 5, cell: cell,
                                         featureSize: 9, textOnly: textOnly)
        let g = [CellKind.lstm: 4, .gru: 3, .rnn: 1][cell]!
        let expected = 23 * 7 + (textOnly ? 0 : 9 * 7 + 7) + (7 + 5) * g * 5 + g * 5 + 5 * 23 + 23
        let model = ModelFixtures.model(config)
        #expect(model.parameterCount == expected)
        #expect(CaptionModel.parameterCount(for: config) == expected)
        #expect(model.parameters.count == (textOnly ? 5 : 7))
    }

    @Test("The default LSTM at V = 2500 has 4,924,356 parameters")
    func defaultSize() {
        // 2500·512 + 512·512 + 512 + 1024·2048 + 2048 + 512·2500 + 2500
        let config = CaptionModel.Config(vocabularySize: 2500)
        #expect(CaptionModel.parameterCount(for: config) == 4_924_356)
        #expect(config.embeddingSize == 512 && config.hiddenSize == 512 && config.featureSize == 512)
        #expect(config.cell == .lstm && config.dropout == 0.5 && !config.textOnly)
    }

    @Test("Names and shapes follow the documented layout", arguments: CellKind.allCases)
    func namesAndShapes(cell: CellKind) {
        let config = ModelFixtures.tinyConfig(cell: cell)
        let model = ModelFixtures.model(config)
        let g = cell.gateCount, kind = cell.rawValue
        let expected: [String: [Int]] = [
            "embed": [7, 5], "imageProjection.weight": [6, 5], "imageProjection.bias": [5],
            "\(kind).weight": [9, g * 4], "\(kind).bias": [g * 4], "logits.weight": [4, 7], "logits.bias": [7],
        ]
        #expect(model.parameters.mapValues(\.shape) == expected)
        #expect(CaptionModel.parameterShapes(for: config) == expected)
    }

    @Test("Weights start uniform in (−0.08, 0.08); biases zero except the LSTM forget gate")
    func initialization() {
        let model = ModelFixtures.model(CaptionModel.Config(vocabularySize: 50, embeddingSize: 16, hiddenSize: 8,
                                                            featureSize: 12))
        for name in ["embed", "imageProjection.weight", "lstm.weight", "logits.weight"] {
            let values = model.parameters[name]!.data
            #expect(values.allSatisfy { abs($0) < 0.08 }, "\(name)")
            #expect(values.map(abs).max()! > 0.07, "\(name) should fill its range")
            #expect(abs(values.reduce(0, +) / Float(values.count)) < 0.01, "\(name) should be centered")
        }
        #expect(model.parameters["imageProjection.bias"]!.data.allSatisfy { $0 == 0 })
        #expect(model.parameters["logits.bias"]!.data.allSatisfy { $0 == 0 })
        let bias = model.parameters["lstm.bias"]!.data
        #expect(bias[0..<8].allSatisfy { $0 == 0 })            // input gate
        #expect(bias[8..<16].allSatisfy { $0 == 1 })           // forget gate
        #expect(bias[16..<32].allSatisfy { $0 == 0 })          // output gate, candidate
    }

    @Test("Same seed, same model; the parameter dictionary round-trips through init")
    func roundTrip() throws {
        let config = ModelFixtures.tinyConfig(cell: .gru)
        let a = ModelFixtures.model(config, seed: 3), b = ModelFixtures.model(config, seed: 3)
        #expect(a.parameters == b.parameters)
        #expect(a.parameters != ModelFixtures.model(config, seed: 4).parameters)
        let restored = try CaptionModel(config: config, parameters: a.parameters)
        #expect(restored.parameters == a.parameters)
    }

    @Test("Loading refuses missing, extra and misshapen parameters")
    func loadingErrors() {
        let config = ModelFixtures.tinyConfig(cell: .lstm)
        let parameters = ModelFixtures.model(config).parameters
        var missing = parameters
        missing["logits.bias"] = nil
        #expect(throws: ParameterError.missingParameter("logits.bias")) {
            try CaptionModel(config: config, parameters: missing)
        }
        var extra = parameters
        extra["gru.weight"] = Tensor(shape: [1])
        #expect(throws: ParameterError.unexpectedParameter("gru.weight")) {
            try CaptionModel(config: config, parameters: extra)
        }
        var misshapen = parameters
        misshapen["embed"] = Tensor(shape: [5, 7])
        #expect(throws: ParameterError.wrongShape("embed", expected: [7, 5], found: [5, 7])) {
            try CaptionModel(config: config, parameters: misshapen)
        }
    }
}
