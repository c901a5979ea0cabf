import Tensors

/// The state a recurrent cell carries from one step to the next, for a batch of B rows (one row
/// per sequence, or per beam while decoding). The same type holds gradients w.r.t. a state.
public struct RecurrentState: Sendable, Equatable {
    /// h `// [B, H]`: what the output layer and the next step see.
    public var hidden: Tensor
    /// c `// [B, H]`: the LSTM memory cell; nil for GRU and RNN.
    public var memory: Tensor?

    public init(hidden: Tensor, memory: Tensor? = nil) {
        precondition(hidden.shape.count == 2, "hidden state must be [B, H], got \(hidden.shape)")
        precondition(memory == nil || memory!.shape == hidden.shape,
                     "memory \(memory!.shape) must match hidden \(hidden.shape)")
        self.hidden = hidden
        self.memory = memory
    }

    /// B.
    public var batchSize: Int { hidden.shape[0] }
    /// H.
    public var hiddenSize: Int { hidden.shape[1] }

    /// All zeros.
    public static func zeros(batch: Int, hiddenSize: Int, hasMemory: Bool) -> RecurrentState {
        let zero = Tensor(shape: [batch, hiddenSize])
        return RecurrentState(hidden: zero, memory: hasMemory ? zero : nil)
    }

    /// Row `rows[i]` of this state becomes row i: how beam search reorders, duplicates and drops
    /// beams between steps.
    public func selecting(rows: [Int]) -> RecurrentState {
        RecurrentState(hidden: hidden.selectingRows(rows), memory: memory?.selectingRows(rows))
    }
}
