/// 3×3 convolution as im2col + one sgemm per band of rows:
///
///     out[p, co] = bias[co] + Σ_{kh, kw, ci} padded[y+kh, x+kw, ci] · W[co, ci, kh, kw]
///                = (col[P, 9·Cin] × kernel[9·Cin, Cout])[p, co]            (p = y·W + x)
///
/// In HWC layout each pixel's three padded input rows are each one contiguous run of 3·Cin
/// values, so the gather is three `memcpy`s per pixel. Each worker takes whole bands of rows
/// with its own `col` buffer, so gathering and multiplying overlap on both cores.
struct Im2colConvolution {
    let inChannels: Int, outChannels: Int, height: Int, width: Int

    /// Bytes of `col` one worker gathers at a time: a band stays in the per-core L2 cache.
    static let bandBytes = 1 << 20

    /// OIHW weights → `[9·Cin, Cout]`, row (kh·3 + kw)·Cin + ci.
    static func kernel(_ weight: Tensor) -> [Float] {
        let cout = weight.shape[0], cin = weight.shape[1]
        var kernel = [Float](repeating: 0, count: 9 * cin * cout)
        for co in 0..<cout {
            for ci in 0..<cin {
                for tap in 0..<9 {
                    kernel[(tap * cin + ci) * cout + co] = weight.data[(co * cin + ci) * 9 + tap]
                }
            }
        }
        return kernel
    }

    /// `padded` is `[H+2, W+2, Cin]`; `output` is `[H, W, Cout]`.
    func run(padded: UnsafePointer<Float>, kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
             workers: Int, output: UnsafeMutablePointer<Float>) {
        let k = 9 * inChannels, cout = outChannels, width = width, height = height
        let rowsPerBand = Self.unitsPerBand(units: height, bytesPerUnit: width * k * 4,
                                              budget: Self.bandBytes, workers: workers)
        let bands = (height + rowsPerBand - 1) / rowsPerBand
        let shared = UncheckedSendable((padded, kernel, bias, output))
        Self.forEachBand(bands, workers: workers, scratchCount: rowsPerBand * width * k) { band, col in
            let (padded, kernel, bias, output) = shared.value
            let y0 = band * rowsPerBand, y1 = min(height, y0 + rowsPerBand)
            let pixels = (y1 - y0) * width
            gather(padded: padded, rows: y0..<y1, into: col)
            let out = output + y0 * width * cout
            BLAS.gemm(m: pixels, n: cout, k: k, a: col, lda: k, b: kernel, ldb: cout, c: out, ldc: cout)
            Conv2D.addBias(bias, relu: relu, to: out, pixels: pixels, channels: cout)
        }
    }

    private func gather(padded: UnsafePointer<Float>, rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let cin = inChannels, run = 3 * cin, k = 9 * cin
        let paddedRowLength = (width + 2) * cin
        var target = col
        for y in rows {
            for x in 0..<width {
                for kh in 0..<3 {
                    (target + kh * run).update(from: padded + (y + kh) * paddedRowLength + x * cin, count: run)
                }
                target += k
            }
        }
    }

    /// Rows per band: a band's `col` within `budget` bytes, and at least one band per worker
    /// so no core idles on small images.
    private static func unitsPerBand(units: Int, bytesPerUnit: Int, budget: Int, workers: Int) -> Int {
        let byBytes = max(1, budget / max(1, bytesPerUnit))
        let byWorkers = (units + workers - 1) / max(1, workers)
        return max(1, min(byBytes, byWorkers))
    }

    /// Runs `body(band, scratch)` for bands 0..<bands, worker w taking bands w, w + workers, …,
    /// each worker with its own `scratchCount`-float scratch buffer.
    private static func forEachBand(_ bands: Int, workers: Int, scratchCount: Int,
                                    _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let workerCount = min(workers, bands)
        Parallel.forEach(workerCount) { worker in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            var band = worker
            while band < bands {
                body(band, scratch)
                band += workerCount
            }
        }
    }
}
