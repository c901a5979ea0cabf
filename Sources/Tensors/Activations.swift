import Foundation

/// Row-wise normalization of log-probabilities. (ReLU is fused into `Conv2D` and the cells.)
extension Tensor {
    /// log(softmax(x)) over the last dimension, computed as x − max − log Σ exp(x − max), which
    /// stays finite where log(softmax) would give −∞.
    public func logSoftmax() -> Tensor {
        precondition(!shape.isEmpty, "logSoftmax of a scalar")
        let width = shape[shape.count - 1]
        var out = data
        guard width > 0 else { return self }
        for start in stride(from: 0, to: out.count, by: width) {
            let row = start..<(start + width)
            let top = out[row].max()!
            var sum: Float = 0
            for i in row { sum += exp(out[i] - top) }
            // Subtract the max before the log-sum: near 1000, float spacing is 6e-5.
            let logSum = log(sum)
            for i in row { out[i] = (out[i] - top) - logSum }
        }
        return Tensor(shape: shape, data: out)
    }
}
