
/// A block of floats with a stable address for the lifetime of the object: the activations and
/// gradients of one training step, which the BLAS calls and worker threads address directly
/// (a Swift array only lends its address inside a closure).
///
/// The memory comes from `FloatBufferPool`: a training step allocates and frees ~70 MB in a few
/// dozen blocks of the same few sizes, and fresh blocks from the system cost a page fault and a
/// zero-fill per 4 KB page (~5% of a step).
public final class FloatBuffer {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let capacity: Int

    /// `count` floats, zero-filled unless `zeroed` is false (for buffers every value of which is
    /// written before it is read, e.g. the C of a `beta = 0` GEMM).
    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        (pointer, capacity) = FloatBufferPool.shared.take(count)
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { FloatBufferPool.shared.give(pointer, capacity: capacity) }

    /// The values as a tensor of `shape`.
    public func tensor(shape: [Int]) -> Tensor {
        precondition(shape.reduce(1, *) == count, "FloatBuffer of \(count) values viewed as \(shape)")
        return Tensor(shape: shape, data: Array(UnsafeBufferPointer(start: pointer, count: count)))
    }
}

/// Runs `body` with the base addresses of `arrays`, in order. Nests `withUnsafeBufferPointer`
/// once per array, so the addresses are valid (and the arrays unchanged) for all of `body`.
/// The arrays must not be empty (parameter tensors never are).
public func withBaseAddresses<Result>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) throws -> Result) rethrows -> Result {
    func nest(_ index: Int, _ collected: [UnsafePointer<Float>]) throws -> Result {
        if index == arrays.count { return try body(collected) }
        return try arrays[index].withUnsafeBufferPointer { buffer in
            try nest(index + 1, collected + [buffer.baseAddress!])
        }
    }
    return try nest(0, [])
}
