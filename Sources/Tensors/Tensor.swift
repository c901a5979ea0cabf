/// A dense n-dimensional array of `Float` in row-major (C) order.
///
/// Storage is a Swift array, so a `Tensor` is a value: copies are cheap until one is mutated.
/// Images and feature maps are channels-last, `[H, W, C]` (one image; a batch is an array of
/// them), so each pixel's or region's channels are contiguous: a pool5 cell is one row.
public struct Tensor: Sendable, Equatable {
    /// Extent of each dimension, outermost first.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values, last dimension contiguous.
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Number of values.
    public var count: Int { data.count }

    /// Same values, new shape with the same number of elements.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }
}
