import Tensors

/// A weight matrix W `// [K, N]` stored for decoding steps: as column panels 32 wide, each
/// panel a contiguous row-major `[K, 32]` matrix, so a product streams W once, front to back.
///
///     storage[p·K·32 + k·32 + c] = W[k, 32p + c]      // zero where 32p + c ≥ N
///
/// A step at a few rows (one photo's beams) is bound by reading W, and BLAS re-packs all of W
/// on every call (OpenBLAS spent more time copying the weights than multiplying them): here
/// each row of A runs down a panel in SIMD, the first from memory, the others from cache. At many
/// rows (photos in lockstep) multiplying is what costs, and SSE without FMA multiplies at a
/// quarter of BLAS's rate: each panel is then an ordinary matrix for BLAS. A range of panels is
/// a natural share of the columns for one core.
struct PanelMatrix: Sendable {
    /// Columns per panel.
    static let width = 32
    /// Up to this many rows (one photo's beam 3) a product runs row by row down the panels;
    /// past it, through BLAS: at 4 rows (4 photos' beam 1 in lockstep) the rows already cost
    /// `caption batch` a quarter more than BLAS did.
    static let rowsByRow = 3

    /// K.
    let rows: Int
    /// Panels, 32 columns each.
    let panels: Int
    private(set) var storage: [Float]

    /// Packs columns of a row-major `matrix` `// [K, N']`: panel p holds its columns
    /// `sources[p]` (at most 32 of them, contiguous; the rest of the panel zero), so the packed
    /// matrix is `[K, 32·sources.count]`. Each panel row is one copy.
    init(_ matrix: Tensor, panelColumns sources: [Range<Int>]) {
        precondition(matrix.shape.count == 2, "a panel matrix packs a [K, N] matrix, got \(matrix.shape)")
        precondition(sources.allSatisfy { $0.count <= Self.width && $0.upperBound <= matrix.shape[1] })
        let k = matrix.shape[0], n = matrix.shape[1]
        rows = k
        panels = sources.count
        var storage = [Float](repeating: 0, count: panels * k * Self.width)
        storage.withUnsafeMutableBufferPointer { target in
            matrix.data.withUnsafeBufferPointer { source in
                for (p, range) in sources.enumerated() where !range.isEmpty {
                    for row in 0..<k {
                        (target.baseAddress! + (p * k + row) * Self.width)
                            .update(from: source.baseAddress! + row * n + range.lowerBound, count: range.count)
                    }
                }
            }
        }
        self.storage = storage
    }

    /// Packs a row-major tensor `// [K, N]`, columns in order.
    init(_ matrix: Tensor) {
        let n = matrix.shape[1]
        self.init(matrix, panelColumns: stride(from: 0, to: n, by: Self.width).map { $0..<min(n, $0 + Self.width) })
    }

    /// N rounded up to whole panels: the row stride an output of `multiply` needs at least.
    var paddedColumns: Int { panels * Self.width }

    /// C[r, 32p..<32p+32] += Σ_{k ∈ kRange} A[r, k − kRange.lowerBound] · W[k, 32p..<32p+32] for
    /// every row r < `m` and panel p in `panelRange`: A `// [m, |kRange|]` with row stride `lda`,
    /// C `// [m, ≥ 32·panels]` with row stride `ldc` (its padding columns get zeros added).
    func multiply(_ a: UnsafePointer<Float>, lda: Int, m: Int, kRange: Range<Int>, panels panelRange: Range<Int>,
                  into c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(kRange.lowerBound >= 0 && kRange.upperBound <= rows && panelRange.upperBound <= panels)
        guard m > 0, !kRange.isEmpty else { return }
        storage.withUnsafeBufferPointer { w in
            for p in panelRange {
                let panel = w.baseAddress! + (p * rows + kRange.lowerBound) * Self.width
                if m > Self.rowsByRow {
                    BLAS.gemm(m: m, n: Self.width, k: kRange.count, a: a, lda: lda, b: panel, ldb: Self.width,
                              beta: 1, c: c + p * Self.width, ldc: ldc)
                } else {
                    for r in 0..<m { Self.row(panel, count: kRange.count, a + r * lda, c + r * ldc + p * Self.width) }
                }
            }
        }
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func add(_ v: SIMD8<Float>, to p: UnsafeMutablePointer<Float>) {
        let sum = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) + v
        UnsafeMutableRawPointer(p).storeBytes(of: sum, as: SIMD8<Float>.self)
    }

    /// One row × 32 columns: c += Σ_k a[k] · panel[k, 0..<32], in 8 accumulators (with the
    /// panel's row, the 16 SSE registers of the baseline x86-64 target). A multiply then an
    /// add, not `addProduct`: without FMA in the target, that is a call to `fmaf` per lane.
    @inline(__always)
    private static func row(_ panel: UnsafePointer<Float>, count: Int, _ a: UnsafePointer<Float>,
                            _ c: UnsafeMutablePointer<Float>) {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var w = panel
        for k in 0..<count {
            let x = SIMD8(repeating: a[k])
            s0 += x * load(w); s1 += x * load(w + 8); s2 += x * load(w + 16); s3 += x * load(w + 24)
            w += width
        }
        add(s0, to: c); add(s1, to: c + 8); add(s2, to: c + 16); add(s3, to: c + 24)
    }
}
