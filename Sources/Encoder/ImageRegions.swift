import Tensors

/// The regions an image is aligned with: the 49 cells of VGG16's pool5 grid plus the whole
/// image, 50 feature vectors `[50, 512]`. The paper used the top 19 RCNN detections plus the whole
/// image (20 regions); the grid cells stand in for detections (each is centred on a 32 × 32 px
/// block of the 224 px input and sees context around it), and the whole-image vector gives words
/// about the scene as a whole ("outdoors", "crowd") a region to align with.
///
/// Rows 0..<49 are the cells in row-major order (region y·7 + x is grid row y, column x); row 49
/// is the whole image (the mean of pool5, `EncoderOutput.imageVector` / `FeatureCache.Entry.vector`).
public enum ImageRegions {
    /// 7 · 7 cells + 1 whole image at 224 × 224.
    public static let count = 50
    /// The grids a model may read: pool5's 7 × 7 cells, or conv5_3's 14 × 14.
    public static let grids = [7, 14]

    /// `[H·W + 1, C]` from pool5 `[H, W, C]` (HWC: each cell already a contiguous row) and the
    /// whole-image vector `[C]`.
    public static func from(pool5: Tensor, vector: [Float]) -> Tensor {
        precondition(pool5.shape.count == 3, "pool5 must be [H, W, C], got \(pool5.shape)")
        let cells = pool5.shape[0] * pool5.shape[1], channels = pool5.shape[2]
        precondition(vector.count == channels, "image vector has \(vector.count) values, pool5 has \(channels) channels")
        return Tensor(shape: [cells + 1, channels], data: pool5.data + vector)
    }

    /// Where region `region` lies on a `gridHeight × gridWidth` pool5 grid (row, column), or nil
    /// for the whole-image region (index `gridHeight · gridWidth`): what `caption align` draws.
    public static func cell(ofRegion region: Int, gridHeight: Int = 7, gridWidth: Int = 7) -> (row: Int, column: Int)? {
        precondition(region >= 0 && region <= gridHeight * gridWidth, "region \(region) outside the grid")
        guard region < gridHeight * gridWidth else { return nil }
        return (region / gridWidth, region % gridWidth)
    }
}

/// What the captioner and the aligner read of a photo, and what the feature cache keeps:
/// pool5 `[7, 7, 512]`, the whole-image vector `[512]` (the mean of pool5's cells), and
/// conv5_3 `[14, 14, 512]` (pool5 before its 2 × 2 max pool) where it was kept.
public struct EncoderFeatures: Sendable {
    public var vector: [Float]
    public var pool5: Tensor
    /// conv5_3 after its ReLU; nil when read from a cache made before conv5_3 was kept.
    public var conv5: Tensor?

    public init(vector: [Float], pool5: Tensor, conv5: Tensor? = nil) {
        self.vector = vector
        self.pool5 = pool5
        self.conv5 = conv5
    }

    /// The aligner's 50 regions `[50, 512]`: the photo → regions step, in one place.
    public var regions: Tensor { ImageRegions.from(pool5: pool5, vector: vector) }

    /// The regions on a `grid` × `grid` grid plus the whole image, `[grid² + 1, 512]`: pool5's
    /// cells for 7, conv5_3's for 14 (nil when these features have no conv5_3: a cache made
    /// before it was kept).
    public func regions(grid: Int) -> Tensor? {
        precondition(ImageRegions.grids.contains(grid), "no region grid \(grid)")
        if grid == 7 { return regions }
        return conv5.map { ImageRegions.from(pool5: $0, vector: vector) }
    }
}

extension EncoderOutput {
    /// The part of the encoder's output that the models read.
    public var features: EncoderFeatures { EncoderFeatures(vector: imageVector.data, pool5: pool5, conv5: conv5) }
}
