import CKernels
import Tensors

/// A weight matrix W `// [K, N]` stored for decoding steps: as column panels 32 wide, each
/// panel a contiguous row-major `[K, 32]` matrix, so a product streams W once, front to back.
///
///     storage[p·K·32 + k·32 + c] = W[k, 32p + c]      // zero where 32p + c ≥ N
///
/// A step at a few rows (one photo's beams) is bound by reading W, and BLAS re-packs all of W
/// on every call (OpenBLAS spent more time copying the weights than multiplying them): here
/// three rows at a time run down a panel together (`ck_panel_f32` / `ck_panel_f16`, AVX2 and
/// FMA), so W is read from memory once per step. A weight that is a float16 number already (as
/// every shipped, float16 file's is) is kept as float16 and widened in registers: exactly the
/// same products, half the bytes to read and to hold. A range of panels is a natural share of
/// the columns for one core.
struct PanelMatrix: Sendable {
    /// Columns per panel.
    static let width = 32

    /// The panels' values: float32, or float16 bits when every value is a float16 exactly.
    enum Storage: Sendable {
        case single([Float])
        case half([UInt16])
    }

    /// K.
    let rows: Int
    /// Panels, 32 columns each.
    let panels: Int
    let storage: Storage

    /// Packs columns of a row-major `matrix` `// [K, N']`: panel p holds its columns
    /// `sources[p]` (at most 32 of them, contiguous; the rest of the panel zero), so the packed
    /// matrix is `[K, 32·sources.count]`. Each panel row is one copy.
    init(_ matrix: Tensor, panelColumns sources: [Range<Int>]) {
        precondition(matrix.shape.count == 2, "a panel matrix packs a [K, N] matrix, got \(matrix.shape)")
        precondition(sources.allSatisfy { $0.count <= Self.width && $0.upperBound <= matrix.shape[1] })
        let k = matrix.shape[0], n = matrix.shape[1]
        rows = k
        panels = sources.count
        let count = panels * k * Self.width
        // Float16 when every value is one exactly (each panel row narrowed in place, stopping at
        // the first that is not), else float32.
        var half = [UInt16](repeating: 0, count: count)
        let exact = half.withUnsafeMutableBufferPointer { target in
            matrix.data.withUnsafeBufferPointer { source in
                // Row by row, each row's segments to their panels: the source is read in order and
                // the writes stay on one page per panel for 32 rows.
                for row in 0..<k {
                    for (p, range) in sources.enumerated() where !range.isEmpty
                        && ck_narrow_f16_exact(source.baseAddress! + row * n + range.lowerBound,
                                               target.baseAddress! + (p * k + row) * Self.width, range.count) == 0 {
                        return false
                    }
                }
                return true
            }
        }
        if exact {
            storage = .half(half)
            return
        }
        half = []
        var single = [Float](repeating: 0, count: count)
        single.withUnsafeMutableBufferPointer { target in
            matrix.data.withUnsafeBufferPointer { source in
                for row in 0..<k {
                    for (p, range) in sources.enumerated() where !range.isEmpty {
                        (target.baseAddress! + (p * k + row) * Self.width)
                            .update(from: source.baseAddress! + row * n + range.lowerBound, count: range.count)
                    }
                }
            }
        }
        storage = .single(single)
    }

    /// Packs a row-major tensor `// [K, N]`, columns in order.
    init(_ matrix: Tensor) {
        let n = matrix.shape[1]
        self.init(matrix, panelColumns: stride(from: 0, to: n, by: Self.width).map { $0..<min(n, $0 + Self.width) })
    }

    /// N rounded up to whole panels: the row stride an output of `multiply` needs at least.
    var paddedColumns: Int { panels * Self.width }

    /// Bytes the panels hold.
    var byteCount: Int {
        switch storage {
        case .single(let values): values.count * MemoryLayout<Float>.stride
        case .half(let values): values.count * MemoryLayout<UInt16>.stride
        }
    }

    /// C[r, 32p..<32p+32] += Σ_{k ∈ kRange} A[r, k − kRange.lowerBound] · W[k, 32p..<32p+32] for
    /// every row r < `m` and panel p in `panelRange`: A `// [m, |kRange|]` with row stride `lda`,
    /// C `// [m, ≥ 32·panels]` with row stride `ldc` (its padding columns get zeros added).
    func multiply(_ a: UnsafePointer<Float>, lda: Int, m: Int, kRange: Range<Int>, panels panelRange: Range<Int>,
                  into c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(kRange.lowerBound >= 0 && kRange.upperBound <= rows && panelRange.upperBound <= panels)
        guard m > 0, !kRange.isEmpty else { return }
        switch storage {
        case .single(let values):
            values.withUnsafeBufferPointer { w in
                for p in panelRange {
                    ck_panel_f32(w.baseAddress! + (p * rows + kRange.lowerBound) * Self.width, kRange.count,
                                 a, lda, m, c + p * Self.width, ldc)
                }
            }
        case .half(let values):
            values.withUnsafeBufferPointer { w in
                for p in panelRange {
                    ck_panel_f16(w.baseAddress! + (p * rows + kRange.lowerBound) * Self.width, kRange.count,
                                 a, lda, m, c + p * Self.width, ldc)
                }
            }
        }
    }
}
