/// The filter taps for one axis of ``Image/resized(width:height:)``, computed once per
/// resize rather than per pixel: output index `j` reads inputs
/// `first[j] ..< first[j] + count[j]` with weights `weights[j * stride ..< j * stride + count[j]]`.
struct ResamplingWeights {
    private var first: [Int]
    private var count: [Int]
    private var weights: [Float]
    private let stride: Int

    init(inputSize: Int, outputSize: Int) {
        let scale = Double(inputSize) / Double(outputSize)
        // Shrinking: an output pixel spans `scale` inputs and can touch ceil(scale) + 1 of them.
        stride = outputSize < inputSize ? Int(scale.rounded(.up)) + 1 : 2
        first = [Int](repeating: 0, count: outputSize)
        count = [Int](repeating: 0, count: outputSize)
        weights = [Float](repeating: 0, count: outputSize * stride)

        for output in 0..<outputSize {
            let taps: [(input: Int, weight: Double)]
            if outputSize == inputSize {
                taps = [(output, 1)]
            } else if outputSize < inputSize {
                taps = Self.areaTaps(output: output, scale: scale, inputSize: inputSize)
            } else {
                taps = Self.bilinearTaps(output: output, scale: scale, inputSize: inputSize)
            }
            first[output] = taps[0].input
            count[output] = taps.count
            for (k, tap) in taps.enumerated() {
                precondition(tap.input == taps[0].input + k && k < stride, "taps must be contiguous")
                weights[output * stride + k] = Float(tap.weight)
            }
        }
    }

    /// Output pixel `output` covers input interval [output * scale, (output + 1) * scale);
    /// each input pixel [i, i + 1) weighs its overlap with it, divided by `scale`.
    private static func areaTaps(output: Int, scale: Double, inputSize: Int) -> [(input: Int, weight: Double)] {
        let start = Double(output) * scale
        let end = min(Double(output + 1) * scale, Double(inputSize))
        var taps: [(input: Int, weight: Double)] = []
        var input = Int(start.rounded(.down))
        while input < inputSize && Double(input) < end {
            let overlap = min(end, Double(input + 1)) - max(start, Double(input))
            if overlap > 0 { taps.append((input, overlap / scale)) }
            input += 1
        }
        return taps
    }

    /// Output pixel centre `output + 0.5` maps to input coordinate
    /// `(output + 0.5) * scale - 0.5`, clamped to the first and last pixel centres.
    private static func bilinearTaps(output: Int, scale: Double, inputSize: Int) -> [(input: Int, weight: Double)] {
        let position = min(max((Double(output) + 0.5) * scale - 0.5, 0), Double(inputSize - 1))
        let left = Int(position.rounded(.down))
        let fraction = position - Double(left)
        if left + 1 >= inputSize || fraction == 0 { return [(left, 1)] }
        return [(left, 1 - fraction), (left + 1, fraction)]
    }

    /// Read-only views of the tables for the inner loops (no copies, no bounds checks).
    struct Taps {
        let first: UnsafeBufferPointer<Int>
        let count: UnsafeBufferPointer<Int>
        let weights: UnsafeBufferPointer<Float>
        let stride: Int

        @inline(__always)
        func weight(output: Int, tap: Int) -> Float { weights[output * stride + tap] }
    }

    func withTaps<Result>(_ body: (Taps) -> Result) -> Result {
        first.withUnsafeBufferPointer { first in
            count.withUnsafeBufferPointer { count in
                weights.withUnsafeBufferPointer { weights in
                    body(Taps(first: first, count: count, weights: weights, stride: stride))
                }
            }
        }
    }
}
