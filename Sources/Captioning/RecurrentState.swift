import Tensors

/// The state a recurrent cell carries from one step to the next, for a batch of B rows (one row
/// per sequence, or per beam while decoding). The same type holds gradients w.r.t. a state.
public struct RecurrentState: Sendable, Equatable {
    /// h `// [B, H]`: what the output layer and the next step see.
    public var hidden: Tensor
    /// c `// [B, H]`: the LSTM memory cell; nil for GRU and RNN.
    public var memory: Tensor?
    /// With attention: the image regions each row attends over (``AttendedImages``); nil for
    /// Show and Tell, whose image was read into h and c at the start.
    public var images: AttendedImages?

    public init(hidden: Tensor, memory: Tensor? = nil, images: AttendedImages? = nil) {
        precondition(hidden.shape.count == 2, "hidden state must be [B, H], got \(hidden.shape)")
        precondition(memory == nil || memory!.shape == hidden.shape,
                     "memory \(memory!.shape) must match hidden \(hidden.shape)")
        self.hidden = hidden
        self.memory = memory
        self.images = images
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
        RecurrentState(hidden: hidden.selectingRows(rows), memory: memory?.selectingRows(rows),
                       images: images?.selecting(rows: rows))
    }
}

/// The images an attention decoder's rows look at, kept once per image however many rows
/// (beams) read it: per attention member (one for a single model), the regions a
/// `// [I, L·F]` and their keys a·W_a + b_a `// [I, L·A]`, computed once when the image is read
/// rather than at every step. Members on the same regions share one copy of them.
public struct AttendedImages: Sendable, Equatable {
    /// Per member, a: image i's L regions of F values, row-major `// [I, L·F]`.
    public var regions: [Tensor]
    /// Per member, the keys of every region `// [I, L·A]`.
    public var keys: [Tensor]
    /// Which image each state row reads.
    public var imageOfRow: [Int]

    public init(regions: [Tensor], keys: [Tensor], imageOfRow: [Int]) {
        precondition(regions.count == keys.count, "one set of regions per set of keys")
        self.regions = regions
        self.keys = keys
        self.imageOfRow = imageOfRow
    }

    func selecting(rows: [Int]) -> AttendedImages {
        AttendedImages(regions: regions, keys: keys, imageOfRow: rows.map { imageOfRow[$0] })
    }
}
