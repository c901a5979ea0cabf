/// A 3×3 convolution, stride 1, zero padding 1, with bias and an optional fused ReLU: the only
/// convolution VGG16 uses.
///
/// Layout is HWC (channels innermost): input `[H, W, Cin]`, output `[H, W, Cout]`, so one pixel's
/// channels are contiguous and every inner loop runs over channels.
///
/// Two algorithms sit behind this one interface, chosen per layer at init:
/// - `im2col`: gather each pixel's 3×3×Cin neighbourhood into a row, then one sgemm
///   (`Im2colConvolution`). Used for the first layer (3 input channels), and as the reference.
/// - `winograd`: F(2×2, 3×3) (Lavin & Gray 2016), 2.25× fewer multiplies, as 16 sgemms over
///   transformed tiles (`WinogradConvolution`). Used for every layer with ≥ 16 input channels.
///
/// Both process the image in bands of rows sized to stay in cache, split across `workers`.
public struct Conv2D: Sendable {
    /// How the convolution is computed; both give the same result to float rounding.
    public enum Algorithm: Sendable {
        case im2col, winograd
    }

    public let inChannels: Int
    public let outChannels: Int
    public let algorithm: Algorithm
    let bias: [Float]
    /// Weights prepared for `algorithm`: `[9·Cin, Cout]` for im2col, `[16, Cin, Cout]` for Winograd.
    let kernel: [Float]

    /// - Parameters:
    ///   - weight: `[Cout, Cin, 3, 3]` (OIHW, the ONNX / PyTorch layout).
    ///   - bias: `[Cout]`.
    ///   - algorithm: forced choice, for tests and benchmarks; by default Winograd where it pays.
    public init(weight: Tensor, bias: Tensor, algorithm: Algorithm? = nil) {
        precondition(weight.shape.count == 4 && weight.shape[2] == 3 && weight.shape[3] == 3,
                     "Conv2D expects OIHW 3×3 weights, got \(weight.shape)")
        let cout = weight.shape[0], cin = weight.shape[1]
        precondition(bias.shape == [cout], "bias shape \(bias.shape) does not match \(cout) outputs")
        self.inChannels = cin
        self.outChannels = cout
        self.bias = bias.data
        // Winograd's transforms run 8 channels at a time.
        let winogradFits = cin % 8 == 0 && cout % 8 == 0
        precondition(algorithm != .winograd || winogradFits, "Winograd needs channel counts divisible by 8")
        self.algorithm = algorithm ?? (winogradFits && cin >= 16 ? .winograd : .im2col)
        switch self.algorithm {
        case .im2col: kernel = Im2colConvolution.kernel(weight)
        case .winograd: kernel = WinogradConvolution.kernel(weight)
        }
    }

    /// Multiply-adds per output pixel of a direct convolution, for GFLOP/s figures.
    public var macsPerPixel: Int { 9 * inChannels * outChannels }

    /// Convolves `input` `[H, W, Cin]` into `[H, W, Cout]`, spreading bands over `workers` threads.
    public func callAsFunction(_ input: Tensor, relu: Bool = true, workers: Int = Parallel.workers) -> Tensor {
        precondition(input.shape.count == 3 && input.shape[2] == inChannels,
                     "Conv2D expects [H, W, \(inChannels)], got \(input.shape)")
        let height = input.shape[0], width = input.shape[1]
        // Every output value is written by the algorithm, so skip zero-filling (13 MB on conv1_2).
        var output = [Float](unsafeUninitializedCapacity: height * width * outChannels) { _, count in
            count = height * width * outChannels
        }
        switch algorithm {
        case .im2col:
            let padded = Conv2D.padded(input, bottom: 1, right: 1, workers: workers)
            Im2colConvolution(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
                .run(padded: padded, kernel: kernel, bias: bias, relu: relu, workers: workers, output: &output)
        case .winograd:
            // Tiles are 2×2 output pixels: pad odd sizes up to the next tile.
            let padded = Conv2D.padded(input, bottom: 1 + height % 2, right: 1 + width % 2, workers: workers)
            WinogradConvolution(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
                .run(padded: padded, kernel: kernel, bias: bias, relu: relu, workers: workers, output: &output)
        }
        return Tensor(shape: [height, width, outChannels], data: output)
    }

    /// `[H, W, C]` → `[1 + H + bottom, 1 + W + right, C]` with a zero border (1 on the top and
    /// left), so the gathers and transforms have no edge cases.
    static func padded(_ input: Tensor, bottom: Int, right: Int, workers: Int) -> [Float] {
        let height = input.shape[0], width = input.shape[1], channels = input.shape[2]
        let rowLength = width * channels, paddedRowLength = (1 + width + right) * channels
        let rows = 1 + height + bottom
        return input.data.withUnsafeBufferPointer { source in
            // Written once: interior rows copied (split across workers: 13 MB on conv1_2), only
            // the border zeroed.
            [Float](unsafeUninitializedCapacity: rows * paddedRowLength) { target, count in
                let base = target.baseAddress!
                base.initialize(repeating: 0, count: paddedRowLength)
                let shared = UncheckedSendable((source.baseAddress!, base))
                let parts = max(1, min(workers, height))
                Parallel.forEach(parts) { part in
                    let (source, base) = shared.value
                    for y in (height * part / parts)..<(height * (part + 1) / parts) {
                        let row = base + (y + 1) * paddedRowLength
                        row.initialize(repeating: 0, count: channels)
                        (row + channels).initialize(from: source + y * rowLength, count: rowLength)
                        (row + channels + rowLength).initialize(repeating: 0, count: right * channels)
                    }
                }
                (base + (1 + height) * paddedRowLength).initialize(repeating: 0, count: bottom * paddedRowLength)
                count = rows * paddedRowLength
            }
        }
    }

    /// out[p, c] = max(out[p, c] + bias[c], 0) (or without the max), while the rows are in cache.
    static func addBias(_ bias: UnsafePointer<Float>, relu: Bool, to out: UnsafeMutablePointer<Float>,
                        pixels: Int, channels: Int) {
        for p in 0..<pixels {
            let row = out + p * channels
            if relu {
                for c in 0..<channels { row[c] = max(row[c] + bias[c], 0) }
            } else {
                for c in 0..<channels { row[c] += bias[c] }
            }
        }
    }
}
