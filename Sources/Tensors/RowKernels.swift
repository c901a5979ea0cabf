/// The element-wise loops around the matrix products of the alignment model and of captioner
/// training (dropout masks, gradient sums, the softmax in `Exponential.swift`), on raw row-major
/// buffers, eight floats at a time with `SIMD8<Float>`: written as plain scalar loops, the
/// ReLU-mask's select compiled to a branch per element, and nothing here may assume AVX.
public enum RowKernels {
    @inline(__always) @usableFromInline
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) @usableFromInline
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// y += alpha · x over `count` values.
    @inline(__always)
    public static func addScaled(_ alpha: Float, _ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j + 8 <= count {
            store(load(y + j) + alpha * load(x + j), y + j)
            j += 8
        }
        while j < count {
            y[j] += alpha * x[j]
            j += 1
        }
    }

    /// x · y over `count` values.
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var sums = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            sums += load(x + j) * load(y + j)
            j += 8
        }
        var sum = sums.sum()
        while j < count {
            sum += x[j] * y[j]
            j += 1
        }
        return sum
    }

    /// rows[r, j] += vector[j] for `rowCount` rows of `width`.
    public static func addRowVector(_ vector: UnsafePointer<Float>, to rows: UnsafeMutablePointer<Float>,
                             rowCount: Int, width: Int) {
        for r in 0..<rowCount { addScaled(1, vector, to: rows + r * width, count: width) }
    }

    /// sums[j] += Σ_r rows[r, j]: a bias gradient.
    public static func addColumnSums(of rows: UnsafePointer<Float>, rowCount: Int, width: Int,
                              into sums: UnsafeMutablePointer<Float>) {
        for r in 0..<rowCount { addScaled(1, rows + r * width, to: sums, count: width) }
    }

    /// values = max(values, 0).
    public static func relu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            // replace(with:where:) compiles to one compare and blend; the stdlib's
            // pointwiseMax stayed an out-of-line generic call, element by element.
            var v = load(values + i)
            v.replace(with: 0, where: v .< 0)
            store(v, values + i)
            i += 8
        }
        while i < count {
            values[i] = max(values[i], 0)
            i += 1
        }
    }

    /// gradient[i] = 0 where the ReLU output `activation[i]` is 0: the ReLU's backward pass
    /// (its subgradient at 0 taken as 0).
    public static func maskByActive(_ gradient: UnsafeMutablePointer<Float>, activation: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            var g = load(gradient + i)
            g.replace(with: 0, where: load(activation + i) .<= 0)
            store(g, gradient + i)
            i += 8
        }
        while i < count {
            if activation[i] <= 0 { gradient[i] = 0 }
            i += 1
        }
    }

    /// y += x over `count` values.
    public static func add(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        addScaled(1, x, to: y, count: count)
    }
}

extension RowKernels {
    /// out = x ⊙ y over `count` values (`out` may be `x`): a dropout mask applied.
    public static func multiply(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                count: Int) {
        var j = 0
        while j + 8 <= count {
            store(load(x + j) * load(y + j), out + j)
            j += 8
        }
        while j < count {
            out[j] = x[j] * y[j]
            j += 1
        }
    }

    /// out = x + y over `count` values (`out` may be `x` or `y`).
    public static func sum(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                           count: Int) {
        var j = 0
        while j + 8 <= count {
            store(load(x + j) + load(y + j), out + j)
            j += 8
        }
        while j < count {
            out[j] = x[j] + y[j]
            j += 1
        }
    }
}
