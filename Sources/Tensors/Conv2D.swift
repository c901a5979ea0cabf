/// A 3×3 convolution, stride 1, zero padding 1, with bias and an optional fused ReLU: the only
/// convolution VGG16 uses.
///
/// Layout is HWC (channels innermost): input `[H, W, Cin]`, output `[H, W, Cout]`, so one pixel's
/// channels are contiguous and every inner loop runs over channels.
///
/// Three algorithms sit behind this one interface, chosen per layer (`ConvPlan`):
/// - `im2col`: gather each pixel's 3×3×Cin neighbourhood into a row, then one sgemm
///   (`Im2colConvolution`). Used for the first layer (3 input channels), and as the reference.
/// - `winograd2x2`: F(2×2, 3×3) (Lavin & Gray 2016), 2.25× fewer multiplies, as 16 sgemms over
///   transformed tiles (`WinogradConvolution`); kernels 16/9 of the raw weights.
/// - `winograd4x4`: F(4×4, 3×3), 4× fewer multiplies, 36 sgemms; kernels 4× the raw weights.
///
/// All process the image in bands of rows sized to stay in cache, split across `workers`.
/// The kernel, prepared for the algorithm once, is either owned or a view into a mapped cache
/// file (`FloatStorage`).
public struct Conv2D: Sendable {
    /// How the convolution is computed; all give the same result to float rounding.
    public enum Algorithm: String, Sendable, CaseIterable, Codable {
        case im2col, winograd2x2, winograd4x4

        /// Floats of the prepared kernel: `[taps, Cin, Cout]`, taps 9, 16 or 36.
        public func kernelCount(inChannels: Int, outChannels: Int) -> Int {
            taps * inChannels * outChannels
        }

        var taps: Int {
            switch self {
            case .im2col: 9
            case .winograd2x2: 16
            case .winograd4x4: 36
            }
        }

        /// Whether this algorithm can run a layer with these channel counts (the Winograd
        /// transforms run 8 channels at a time).
        public func supports(inChannels: Int, outChannels: Int) -> Bool {
            self == .im2col || (inChannels % 8 == 0 && outChannels % 8 == 0)
        }
    }

    /// How a Winograd layer's work is shared by several workers (see `WinogradConvolution.run`):
    /// whole bands per worker, or each band's three steps split with a barrier after each.
    public enum Split: String, Sendable, CaseIterable, Codable {
        case bands, steps
    }

    public let inChannels: Int
    public let outChannels: Int
    public let algorithm: Algorithm
    /// How workers share a Winograd layer when there are more than one.
    public var split: Split
    public let bias: [Float]
    /// Weights prepared for `algorithm`: `[9·Cin, Cout]` for im2col, `[α², Cin, Cout]` for Winograd.
    public let kernel: FloatStorage

    /// - Parameters:
    ///   - weight: `[Cout, Cin, 3, 3]` (OIHW, the ONNX / PyTorch layout).
    ///   - bias: `[Cout]`.
    ///   - algorithm: forced choice, for tests, plans and benchmarks; by default F(2×2) where it fits.
    public init(weight: Tensor, bias: Tensor, algorithm: Algorithm? = nil, split: Split = .steps) {
        precondition(weight.shape.count == 4 && weight.shape[2] == 3 && weight.shape[3] == 3,
                     "Conv2D expects OIHW 3×3 weights, got \(weight.shape)")
        let cout = weight.shape[0], cin = weight.shape[1]
        precondition(bias.shape == [cout], "bias shape \(bias.shape) does not match \(cout) outputs")
        let algorithm = algorithm ?? Self.defaultAlgorithm(inChannels: cin, outChannels: cout)
        precondition(algorithm.supports(inChannels: cin, outChannels: cout), "Winograd needs channel counts divisible by 8")
        let kernel: [Float] = switch algorithm {
        case .im2col: Im2colConvolution.kernel(weight)
        case .winograd2x2: WinogradConvolution.kernel(weight, tile: .two)
        case .winograd4x4: WinogradConvolution.kernel(weight, tile: .four)
        }
        self.init(preparedKernel: FloatStorage(kernel), bias: bias.data, inChannels: cin, outChannels: cout,
                  algorithm: algorithm, split: split)
    }

    /// A layer whose kernel is already prepared for `algorithm` (read from a cache file).
    public init(preparedKernel: FloatStorage, bias: [Float], inChannels: Int, outChannels: Int,
                algorithm: Algorithm, split: Split = .steps) {
        precondition(preparedKernel.count == algorithm.kernelCount(inChannels: inChannels, outChannels: outChannels)
                     && bias.count == outChannels, "prepared kernel or bias does not match \(algorithm) \(inChannels)→\(outChannels)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.algorithm = algorithm
        self.split = split
        self.bias = bias
        self.kernel = preparedKernel
    }

    /// F(2×2) for every layer it fits with ≥ 16 input channels, else im2col: the choice without a plan.
    public static func defaultAlgorithm(inChannels: Int, outChannels: Int) -> Algorithm {
        Algorithm.winograd2x2.supports(inChannels: inChannels, outChannels: outChannels) && inChannels >= 16
            ? .winograd2x2 : .im2col
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
        let tile: WinogradConvolution.Tile? = switch algorithm {
        case .im2col: nil
        case .winograd2x2: .two
        case .winograd4x4: .four
        }
        output.withUnsafeMutableBufferPointer { output in
        bias.withUnsafeBufferPointer { bias in
            if let tile {
                input.data.withUnsafeBufferPointer { input in
                    WinogradConvolution(tile: tile, inChannels: inChannels, outChannels: outChannels, height: height, width: width)
                        .run(input: input.baseAddress!, kernel: kernel.base, bias: bias.baseAddress!, relu: relu,
                             workers: workers, split: split, output: output.baseAddress!)
                }
            } else {
                let padded = Conv2D.padded(input, bottom: 1, right: 1, workers: workers)
                padded.withUnsafeBufferPointer { padded in
                    Im2colConvolution(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
                        .run(padded: padded.baseAddress!, kernel: kernel.base, bias: bias.baseAddress!, relu: relu,
                             workers: workers, output: output.baseAddress!)
                }
            }
        }}
        return Tensor(shape: [height, width, outChannels], data: output)
    }

    /// `[H, W, C]` → `[1 + H + bottom, 1 + W + right, C]` with a zero border (1 on the top and
    /// left), so the im2col gather has no edge cases.
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
