import CKernels
import Tensors

/// How an image's encoder output becomes the captioner's input vector, saved with the model so
/// training and captioning always agree.
///
/// The pool5 map `[7, 7, 512]` is pooled over its 49 cells (mean, max, or both concatenated), or
/// its cells (or conv5_3's 196) are kept as regions for attention; then the values are centered
/// with the training set's per-dimension mean and divided by one overall standard deviation, so
/// the image projection starts from inputs of unit scale (raw pool5 values reach ~300) without
/// inflating rarely active channels.
public struct ImageFeatureSpec: Sendable, Equatable {
    /// Which pooling of pool5's cells (or which cells) forms the vector.
    public enum Pooling: String, Sendable, CaseIterable, Codable {
        /// Mean over cells: 512 values (Show and Tell style global average).
        case mean
        /// Max over cells: 512 values.
        case max
        /// Mean then max: 1,024 values.
        case meanMax = "mean+max"
        /// No pooling: each of pool5's 49 cells (7 × 7), for the attention decoder, 49 × 512
        /// values (cell-major), each cell standardized with the same per-channel statistics.
        case regions
        /// No pooling: each of conv5_3's 196 cells (14 × 14, after its ReLU, before the last max
        /// pool), for the attention decoder, 196 × 512 values, standardized as `regions`.
        case conv5Regions = "conv5-regions"

        /// The attention decoder's region count L: 49 or 196; nil for a pooled vector.
        public var regionCount: Int? {
            switch self {
            case .regions: 49
            case .conv5Regions: 196
            case .mean, .max, .meanMax: nil
            }
        }
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
        case .regions, .conv5Regions: pooling.regionCount! * 512
        }
    }
    public var size: Int { Self.size(of: pooling) }
    /// How many values `mean` and `std` hold: the vector's width, or one cell's (512) for
    /// regions, whose cells share the statistics.
    public static func statisticsSize(of pooling: Pooling) -> Int { pooling.regionCount == nil ? size(of: pooling) : 512 }

    /// The pooled, not yet standardized vector from a pool5 map `[7, 7, 512]` and, for
    /// `conv5Regions` (which reads nothing else), the conv5_3 map `[14, 14, 512]`.
    public static func pooled(pool5: Tensor, conv5: Tensor?, _ pooling: Pooling) -> [Float] {
        precondition(pool5.shape.count == 3 && pool5.shape[2] == 512, "pool5 must be [h, w, 512], got \(pool5.shape)")
        switch pooling {
        case .mean: return Tensors.Pooling.meanPool(pool5).data
        case .max: return Tensors.Pooling.maxPool(pool5).data
        case .meanMax: return Tensors.Pooling.meanPool(pool5).data + Tensors.Pooling.maxPool(pool5).data
        case .regions: return pool5.data
        case .conv5Regions:
            guard let conv5 else { preconditionFailure("conv5-regions pooling needs conv5_3 (the caller checks needsConv5)") }
            precondition(conv5.shape == [14, 14, 512], "conv5_3 must be [14, 14, 512], got \(conv5.shape)")
            return conv5.data
        }
    }

    /// Whether the input is made from conv5_3, which a feature cache made before it was kept lacks.
    public var needsConv5: Bool { pooling == .conv5Regions }

    /// `raw` (a pooled vector, or cells of the same channels) standardized.
    public func standardized(_ raw: [Float]) -> [Float] {
        let channels = mean.count
        precondition(raw.count % channels == 0, "\(raw.count) values are not whole rows of \(channels) channels")
        var out = raw
        out.withUnsafeMutableBufferPointer { values in
            mean.withUnsafeBufferPointer { mean in
                std.withUnsafeBufferPointer { std in
                    for row in stride(from: 0, to: values.count, by: channels) {
                        for k in 0..<channels { values[row + k] = (values[row + k] - mean[k]) / std[k] }
                    }
                }
            }
        }
        return out
    }

    /// The model input for one image: pooled, then standardized. pool5 is first rounded to
    /// float16, as the feature cache stores it for training, so a photo captioned straight from
    /// the encoder gets exactly the input its cached copy trained on.
    public func vector(pool5: Tensor, conv5: Tensor?) -> [Float] {
        func rounded(_ map: Tensor) -> Tensor {
            var copy = map
            copy.data.withUnsafeMutableBufferPointer { ck_round_f16($0.baseAddress!, $0.count) }
            return copy
        }
        return standardized(Self.pooled(pool5: rounded(pool5), conv5: needsConv5 ? conv5.map(rounded) : nil, pooling))
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
