/// Reshuffling the rows and columns of 2-D tensors `[rows, width]`: how beam search reorders
/// beams, how the cells join their input to the state, how an ensemble splits its members'
/// states, and how training handles sequences that end at different steps.
extension Tensor {
    /// Rows `rows` of a 2-D tensor, in that order (a row may repeat).
    public func selectingRows(_ rows: [Int]) -> Tensor {
        let width = shape[1]
        var out = [Float](repeating: 0, count: rows.count * width)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { d in
                for (i, r) in rows.enumerated() {
                    precondition(r >= 0 && r < shape[0], "row \(r) out of range 0..<\(shape[0])")
                    (o.baseAddress! + i * width).update(from: d.baseAddress! + r * width, count: width)
                }
            }
        }
        return Tensor(shape: [rows.count, width], data: out)
    }

    /// Vectors `// [F]` as the rows of one `// [B, F]` tensor.
    public static func stackingRows(_ vectors: [Tensor]) -> Tensor {
        let width = vectors[0].data.count
        precondition(vectors.allSatisfy { $0.shape == [width] || $0.shape == [1, width] }, "vectors must all be [\(width)]")
        return Tensor(shape: [vectors.count, width], data: vectors.flatMap(\.data))
    }

    /// `[B, W₁ + W₂ + …]` from `[B, Wᵢ]` parts side by side.
    public static func concatenatingColumns(_ parts: [Tensor]) -> Tensor {
        let rows = parts[0].shape[0]
        precondition(parts.allSatisfy { $0.shape.count == 2 && $0.shape[0] == rows }, "parts differ in rows: \(parts.map(\.shape))")
        let width = parts.reduce(0) { $0 + $1.shape[1] }
        var out = [Float](repeating: 0, count: rows * width)
        out.withUnsafeMutableBufferPointer { o in
            var offset = 0
            for part in parts {
                let w = part.shape[1]
                if w > 0 {
                    part.data.withUnsafeBufferPointer { p in
                        for r in 0..<rows { (o.baseAddress! + r * width + offset).update(from: p.baseAddress! + r * w, count: w) }
                    }
                }
                offset += w
            }
        }
        return Tensor(shape: [rows, width], data: out)
    }

    /// Columns `range`: the inverse of `concatenatingColumns` for one part.
    public func columns(_ range: Range<Int>) -> Tensor {
        let rows = shape[0], width = shape[1], w = range.count
        var out = [Float](repeating: 0, count: rows * w)
        if w > 0 {
            out.withUnsafeMutableBufferPointer { o in
                data.withUnsafeBufferPointer { d in
                    for r in 0..<rows { (o.baseAddress! + r * w).update(from: d.baseAddress! + r * width + range.lowerBound, count: w) }
                }
            }
        }
        return Tensor(shape: [rows, w], data: out)
    }
}
