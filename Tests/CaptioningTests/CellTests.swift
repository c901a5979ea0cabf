import Captioning
import Foundation
import Tensors
import Testing

/// Single cell steps against the equations, by hand.
struct CellTests {
    /// A cell with the given weight and bias values (E = 1, H = 1).
    static func scalarCell<Cell: RecurrentCell>(_: Cell.Type, weight: [Float], bias: [Float]) -> Cell {
        Cell(inputSize: 1, weight: Tensor(shape: [2, bias.count], data: weight), bias: Tensor(shape: [bias.count], data: bias))
    }

    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    @Test("LSTM step: i, f, o, g blocks, c = f·c' + i·g, h = o·tanh c")
    func lstmStep() {
        // Rows: x, h_prev. Columns: i, f, o, g.
        let cell = Self.scalarCell(LSTMCell.self, weight: [0.5, -0.3, 0.8, 0.2, 0.1, 0.4, -0.6, 0.9],
                                   bias: [0.1, 1, -0.2, 0.05])
        let x: Float = 0.7, h0: Float = -0.4, c0: Float = 0.3
        let state = RecurrentState(hidden: Tensor(shape: [1, 1], data: [h0]), memory: Tensor(shape: [1, 1], data: [c0]))
        let (next, _) = cell.forward(Tensor(shape: [1, 1], data: [x]), state: state)
        let i = Self.sigmoid(0.5 * x + 0.1 * h0 + 0.1), f = Self.sigmoid(-0.3 * x + 0.4 * h0 + 1)
        let o = Self.sigmoid(0.8 * x - 0.6 * h0 - 0.2), g = tanh(0.2 * x + 0.9 * h0 + 0.05)
        let c = f * c0 + i * g
        #expect(abs(next.memory!.data[0] - c) < 1e-6)
        #expect(abs(next.hidden.data[0] - o * tanh(c)) < 1e-6)
    }

    @Test("GRU step: r scales only h·W_hn; h = (1−z)·n + z·h'")
    func gruStep() {
        // Rows: x, h_prev. Columns: r, z, n.
        let cell = Self.scalarCell(GRUCell.self, weight: [0.5, -0.3, 0.8, 0.2, 0.1, 0.4], bias: [0.1, -0.2, 0.3])
        let x: Float = 0.7, h0: Float = -0.4
        let (next, _) = cell.forward(Tensor(shape: [1, 1], data: [x]), state: RecurrentState(hidden: Tensor(shape: [1, 1], data: [h0])))
        let r = Self.sigmoid(0.5 * x + 0.2 * h0 + 0.1), z = Self.sigmoid(-0.3 * x + 0.1 * h0 - 0.2)
        let n = tanh(0.8 * x + 0.3 + r * (0.4 * h0))
        #expect(next.memory == nil)
        #expect(abs(next.hidden.data[0] - ((1 - z) * n + z * h0)) < 1e-6)
    }

    @Test("RNN step: h = tanh(x·W_x + h'·W_h + b)")
    func rnnStep() {
        let cell = Self.scalarCell(RNNCell.self, weight: [0.5, -0.3], bias: [0.1])
        let (next, _) = cell.forward(Tensor(shape: [1, 1], data: [0.7]), state: RecurrentState(hidden: Tensor(shape: [1, 1], data: [-0.4])))
        #expect(abs(next.hidden.data[0] - tanh(0.5 * 0.7 - 0.3 * -0.4 + 0.1)) < 1e-6)
    }

    @Test("Rows of a batch are independent: a batched step equals steps row by row", arguments: CellKind.allCases)
    func rowsIndependent(cell kind: CellKind) {
        let model = ModelFixtures.model(ModelFixtures.tinyConfig(cell: kind, initScale: 0.5))
        let features = ModelFixtures.features(batch: 3, size: 6)
        let batch = model.step(model.initialState(feature: features), tokens: [3, 4, 5])
        for row in 0..<3 {
            let single = model.step(model.initialState(feature: features.selectingRow(row)), tokens: [3 + row])
            #expect(zip(single.logProbs.data, batch.logProbs.data[(row * 7)..<((row + 1) * 7)]).allSatisfy { abs($0 - $1) < 1e-6 })
            #expect(zip(single.state.hidden.data, batch.state.hidden.data[(row * 4)..<((row + 1) * 4)]).allSatisfy { abs($0 - $1) < 1e-6 })
        }
        let reordered = batch.state.selecting(rows: [2, 0, 0])
        #expect(reordered.hidden.data[0..<4] == batch.state.hidden.data[8..<12])
        #expect(reordered.hidden.data[4..<8] == reordered.hidden.data[8..<12])
        #expect((reordered.memory == nil) == !kind.hasMemory)
    }

    @Test("Cell parameter names, counts and the fused weight shape", arguments: CellKind.allCases)
    func cellParameters(cell kind: CellKind) {
        var rng = SplitMix64(seed: 1)
        let cells: [CellKind: any RecurrentCell] = [
            .lstm: LSTMCell(inputSize: 5, hiddenSize: 4, initScale: 0.08, rng: &rng),
            .gru: GRUCell(inputSize: 5, hiddenSize: 4, initScale: 0.08, rng: &rng),
            .rnn: RNNCell(inputSize: 5, hiddenSize: 4, initScale: 0.08, rng: &rng),
        ]
        let cell = cells[kind]!
        #expect(Set(cell.parameters.keys) == ["\(kind.rawValue).weight", "\(kind.rawValue).bias"])
        #expect(cell.weight.shape == [9, kind.gateCount * 4])
        #expect(cell.parameterCount == 9 * kind.gateCount * 4 + kind.gateCount * 4)
        #expect(cell.zeroState(batch: 2).hidden == Tensor(shape: [2, 4]))
    }
}

extension Tensor {
    /// Row `row` of a 2-D tensor as `[1, width]`.
    func selectingRow(_ row: Int) -> Tensor {
        Tensor(shape: [1, shape[1]], data: Array(data[(row * shape[1])..<((row + 1) * shape[1])]))
    }
}
