import Tensors

/// How an image's encoder output becomes the captioner's input vector, saved with the model so
/// training and captioning always agree.
///
/// The pool5 map `[7, 7, 512]` is pooled over its 49 cells (mean, max, or both concatenated),
/// then centered with the training set's per-dimension mean and divided by one overall standard
/// deviation, so the image projection starts from inputs of unit scale (raw pool5 values reach
/// ~300) without inflating rarely active channels.
public struct ImageFeatureSpec: Sendable, Equatable {
    /// Which pooling of pool5's cells forms the vector.
    public enum Pooling: String, Sendable, CaseIterable, Codable {
        /// Mean over cells: 512 values (Show and Tell style global average).
        case mean
        /// Max over cells: 512 values.
        case max
        /// Mean then max: 1,024 values.
        case meanMax = "mean+max"
        /// No pooling: each of the 49 cells, for the attention decoder, 49 × 512 values
        /// (cell-major), each cell standardized with the same per-channel statistics.
        case regions
    }

    public var pooling: Pooling
    /// Training-set mean and the scale to divide by, `[size]` each (the scale is stored per
    /// dimension so the file format allows either kind of standardization).
    public var mean: [Float]
    public var std: [Float]

    public init(pooling: Pooling, mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && mean.count == Self.statisticsSize(of: pooling), "feature statistics have the wrong size")
        self.pooling = pooling
        self.mean = mean
        self.std = std
    }

    /// Width of the vector for a pooling.
    public static func size(of pooling: Pooling) -> Int {
        switch pooling {
        case .mean, .max: 512
        case .meanMax: 1024
        case .regions: 49 * 512
        }
    }
    public var size: Int { Self.size(of: pooling) }
    /// How many values `mean` and `std` hold: the vector's width, or one cell's (512) for
    /// regions, whose cells share the statistics.
    public static func statisticsSize(of pooling: Pooling) -> Int { pooling == .regions ? 512 : size(of: pooling) }

    /// The pooled, not yet standardized vector from a pool5 map `[7, 7, 512]`.
    public static func pooled(_ pool5: Tensor, _ pooling: Pooling) -> [Float] {
        precondition(pool5.shape.count == 3 && pool5.shape[2] == 512, "pool5 must be [h, w, 512], got \(pool5.shape)")
        switch pooling {
        case .mean: return Tensors.Pooling.meanPool(pool5).data
        case .max: return Tensors.Pooling.maxPool(pool5).data
        case .meanMax: return Tensors.Pooling.meanPool(pool5).data + Tensors.Pooling.maxPool(pool5).data
        case .regions: return pool5.data
        }
    }

    /// `raw` (a pooled vector, or cells of the same channels) standardized.
    public func standardized(_ raw: [Float]) -> [Float] {
        let channels = mean.count
        return raw.indices.map { (raw[$0] - mean[$0 % channels]) / std[$0 % channels] }
    }

    /// The model input for one image: pooled, then standardized. pool5 is first rounded to
    /// float16, as the feature cache stores it for training, so a photo captioned straight from
    /// the encoder gets exactly the input its cached copy trained on.
    public func vector(pool5: Tensor) -> [Float] {
        let rounded = Tensor(shape: pool5.shape, data: pool5.data.map { Float(Float16($0)) })
        return standardized(Self.pooled(rounded, pooling))
    }

    /// Statistics from the pooled vectors of the training images.
    public static func fitted(_ pooling: Pooling, to pooledVectors: [[Float]]) -> ImageFeatureSpec {
        // Regions: every cell is one observation of the same 512 channels.
        let size = statisticsSize(of: pooling)
        let n = Double(max(1, pooledVectors.reduce(0) { $0 + $1.count / size }))
        var sum = [Double](repeating: 0, count: size), squares = [Double](repeating: 0, count: size)
        for v in pooledVectors {
            for k in v.indices {
                let d = k % size
                sum[d] += Double(v[k])
                squares[d] += Double(v[k]) * Double(v[k])
            }
        }
        let mean = sum.map { $0 / n }
        // One scale for all dimensions (the root-mean-square deviation), not one per dimension:
        // per-dimension scaling blows up channels that ReLU almost always zeroes, so a rare
        // activation or rounding noise would become a huge input.
        let variance = (0..<size).map { d in max(0, squares[d] / n - mean[d] * mean[d]) }.reduce(0, +) / Double(size)
        let std = [Double](repeating: max(1e-6, variance.squareRoot()), count: size)
        return ImageFeatureSpec(pooling: pooling, mean: mean.map(Float.init), std: std.map(Float.init))
    }
}
