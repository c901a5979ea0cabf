import Tensors

/// Which recurrence a `CaptionModel` runs, and how many gate blocks its fused weight has.
public enum CellKind: String, Sendable, Codable, CaseIterable {
    /// Long short-term memory (Hochreiter & Schmidhuber 1997), the Show and Tell default: 4 gates.
    case lstm
    /// Gated recurrent unit (Cho et al. 2014), cuDNN's "linear before reset" form: 3 gates.
    case gru
    /// Elman network with tanh: 1 gate.
    case rnn

    /// G: the fused weight is `[E+H, G·H]`.
    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnn: 1
        }
    }

    /// Whether the state carries an LSTM memory cell `c` besides `h`.
    public var hasMemory: Bool { self == .lstm }
}

/// What a cell's forward step computed besides the next state, for a batch of B rows.
///
/// Every cell stores the concatenated input and its activated gates; the other fields are used
/// by the cells noted.
public struct CellCache: Sendable {
    /// `[x, h_prev]` `// [B, E+H]`: the left operand of the fused gate GEMM.
    public var input: Tensor
    /// Gate activations after their nonlinearity `// [B, G·H]`.
    public var gates: Tensor
    /// LSTM: `c_prev` `// [B, H]`. Nil for other cells.
    public var previousMemory: Tensor?
    /// LSTM: `tanh(c)`; GRU: `h_prev·W_hn`, the recurrent part of the candidate `// [B, H]`.
    public var auxiliary: Tensor?

    public init(input: Tensor, gates: Tensor, previousMemory: Tensor? = nil, auxiliary: Tensor? = nil) {
        self.input = input
        self.gates = gates
        self.previousMemory = previousMemory
        self.auxiliary = auxiliary
    }
}

/// One step of a recurrence over a batch. Training runs the same pointwise math over whole
/// sequences through `SequenceCell`, with a hand-written backward pass.
///
/// All gate pre-activations come from one fused weight:
///
///     a = [x, h_prev] · W + b        // [B, E+H] × [E+H, G·H] → [B, G·H]
///
/// so a step costs one GEMM (the GRU, whose reset gate scales only the recurrent half of its
/// candidate, splits that same GEMM in two along K; see `GRUCell`). Parameters are named
/// `"<kind>.weight"` `[E+H, G·H]` and `"<kind>.bias"` `[G·H]`, gate blocks side by side in columns.
public protocol RecurrentCell: Sendable {
    /// Which recurrence this is; also the prefix of the parameter names.
    static var kind: CellKind { get }
    /// The fused gate weight and bias, and the sizes they imply.
    var gates: GateParameters { get }

    /// Wraps checked parameters (see `init(inputSize:weight:bias:)`).
    init(gates: GateParameters)

    /// The bias a fresh cell starts from (zeros, except the LSTM forget gate).
    static func initialBias(hiddenSize: Int) -> Tensor

    /// One step: `x` `// [B, E]`, `state` with B rows → the next state and what backward needs.
    func forward(_ x: Tensor, state: RecurrentState) -> (state: RecurrentState, cache: CellCache)

}

/// What every kind of cell holds: the fused gate weight `[E+H, G·H]` and bias `[G·H]`, gate
/// blocks side by side in columns, and the sizes they imply.
public struct GateParameters: Sendable {
    /// E: width of the input `x`.
    public let inputSize: Int
    /// H: width of the hidden state `h`.
    public let hiddenSize: Int
    public let weight: Tensor
    public let bias: Tensor
}

extension RecurrentCell {
    public var inputSize: Int { gates.inputSize }
    public var hiddenSize: Int { gates.hiddenSize }
    /// Fused gate weight `// [E+H, G·H]`.
    public var weight: Tensor { gates.weight }
    /// Fused gate bias `// [G·H]`.
    public var bias: Tensor { gates.bias }

    /// Wraps existing parameters; `weight` must be `[inputSize + H, G·H]` and `bias` `[G·H]`.
    public init(inputSize: Int, weight: Tensor, bias: Tensor) {
        let hiddenSize = Self.validatedHiddenSize(inputSize: inputSize, weight: weight, bias: bias)
        self.init(gates: GateParameters(inputSize: inputSize, hiddenSize: hiddenSize, weight: weight, bias: bias))
    }

    /// G, the number of gate blocks.
    public static var gateCount: Int { kind.gateCount }

    /// Name of the fused weight, e.g. `"lstm.weight"`.
    public static var weightName: String { "\(kind.rawValue).weight" }
    /// Name of the fused bias, e.g. `"lstm.bias"`.
    public static var biasName: String { "\(kind.rawValue).bias" }

    /// The cell's parameters by name.
    public var parameters: [String: Tensor] { [Self.weightName: weight, Self.biasName: bias] }

    /// `(E+H)·G·H + G·H`.
    public var parameterCount: Int { weight.count + bias.count }

    /// A fresh cell: weights uniform in (−scale, scale), bias from `initialBias`.
    public init(inputSize: Int, hiddenSize: Int, initScale: Float, rng: inout SplitMix64) {
        let weight = Tensor.uniform(shape: [inputSize + hiddenSize, Self.gateCount * hiddenSize],
                                    scale: initScale, rng: &rng)
        self.init(inputSize: inputSize, weight: weight, bias: Self.initialBias(hiddenSize: hiddenSize))
    }

    /// The all-zero state for `batch` rows (what the image step starts from).
    public func zeroState(batch: Int) -> RecurrentState {
        RecurrentState.zeros(batch: batch, hiddenSize: hiddenSize, hasMemory: Self.kind.hasMemory)
    }

    /// Checks the shapes handed to `init(inputSize:weight:bias:)`; returns H.
    static func validatedHiddenSize(inputSize: Int, weight: Tensor, bias: Tensor) -> Int {
        let g = gateCount
        precondition(bias.shape.count == 1 && bias.count % g == 0 && bias.count > 0,
                     "\(biasName) must be [\(g)·H], got \(bias.shape)")
        let hidden = bias.count / g
        precondition(weight.shape == [inputSize + hidden, g * hidden],
                     "\(weightName) must be [\(inputSize + hidden), \(g * hidden)], got \(weight.shape)")
        return hidden
    }
}

extension Tensor {
    /// Values uniform in (−scale, scale), drawn in row-major order from `rng`.
    static func uniform(shape: [Int], scale: Float, rng: inout SplitMix64) -> Tensor {
        let count = shape.reduce(1, *)
        var data = [Float](repeating: 0, count: count)
        for i in 0..<count { data[i] = Float(rng.nextUnit() * 2 - 1) * scale }
        return Tensor(shape: shape, data: data)
    }
}

/// One step of a sequence as `TeacherForcing` lays it out: rows 0..<rows of this step's slices of
/// buffers that hold every step (step-major), so nothing is allocated per step and the backward
/// pass finds each step's activations where the forward pass left them.
struct SequenceStep {
    var rows: Int
    /// In: pre-activations `// [rows, G·H]`, x·W_x + b plus h_prev·W_h unless the cell keeps that
    /// apart. Out: the activated gates.
    var gates: UnsafeMutablePointer<Float>
    /// GRU: h_prev·W_h `// [rows, G·H]`.
    var recurrent: UnsafeMutablePointer<Float>?
    /// h_prev: row r at `previousHidden + r · previousHiddenStride`.
    var previousHidden: UnsafePointer<Float>
    var previousHiddenStride: Int
    /// LSTM: c_prev `// [rows, H]`.
    var previousMemory: UnsafePointer<Float>?
    /// Out: h `// [rows, H]`.
    var hidden: UnsafeMutablePointer<Float>
    /// Out, LSTM: c `// [rows, H]`.
    var memory: UnsafeMutablePointer<Float>?
    /// Out, LSTM: tanh c; GRU: u = h_prev·W_hn `// [rows, H]`.
    var auxiliary: UnsafeMutablePointer<Float>?
}

/// The gradients of one `SequenceStep`, rows 0..<rows.
struct SequenceStepGradients {
    /// In: dL/dh of this step's output `// [rows, H]`.
    var hidden: UnsafePointer<Float>
    /// LSTM: in dL/dc, out dL/dc_prev `// [rows, H]`.
    var memory: UnsafeMutablePointer<Float>?
    /// Out: dL/da for the input side x·W_x + b `// [rows, G·H]`; for cells that add h_prev·W_h
    /// into the gates, also for the recurrent side.
    var gates: UnsafeMutablePointer<Float>
    /// Out, GRU: dL/d(h_prev·W_h) `// [rows, G·H]`.
    var recurrent: UnsafeMutablePointer<Float>?
    /// Out, GRU: the direct part of dL/dh_prev, dh ⊙ z `// [rows, H]` (the GEMM through W_h
    /// adds the rest).
    var previousHidden: UnsafeMutablePointer<Float>?
}

/// A cell as teacher forcing trains it: the GEMMs over whole sequences are `TeacherForcing`'s
/// (x·W_x for every step in one product, h_prev·W_h per step, dW in one product over all steps),
/// the cell supplies the pointwise math of a step and its derivative.
protocol SequenceCell: RecurrentCell {
    /// Whether h_prev·W_h stays apart from the gates (`SequenceStep.recurrent`) instead of being
    /// added into them: the GRU's reset gate scales part of it.
    static var keepsRecurrentApart: Bool { get }
    /// The step's nonlinearity: gates, h (and c) from the pre-activations.
    func activate(_ step: SequenceStep)
    /// dL/da (and dL/dc_prev, the direct part of dL/dh_prev) from dL/dh (and dL/dc).
    func differentiate(_ step: SequenceStep, _ gradients: SequenceStepGradients)
}
