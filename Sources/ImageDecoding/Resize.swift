extension Image {
    /// A resized copy, filtered separately along each axis:
    ///
    /// * shrinking an axis averages the input area each output pixel covers (a box filter
    ///   with fractional coverage at the edges), so no input pixel is skipped and fine detail
    ///   does not alias;
    /// * enlarging an axis interpolates bilinearly between pixel centres (half-pixel
    ///   convention, like Pillow's and OpenCV's `align_corners=False`), clamped at the edges;
    /// * an axis whose size is unchanged is copied.
    ///
    /// Results are rounded to the nearest integer (halves up).
    public func resized(width newWidth: Int, height newHeight: Int) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "cannot resize to \(newWidth)x\(newHeight)")
        if newWidth == width && newHeight == height { return self }

        let horizontal = ResamplingWeights(inputSize: width, outputSize: newWidth)
        let vertical = ResamplingWeights(inputSize: height, outputSize: newHeight)

        // Pass 1: every input row resampled horizontally, kept in Float (rounding once at
        // the end keeps the two passes equivalent to the 2-D filter).
        let rowLength = newWidth * 3
        var intermediate = [Float](repeating: 0, count: height * rowLength)
        pixels.withUnsafeBufferPointer { input in
            intermediate.withUnsafeMutableBufferPointer { output in
                horizontal.withTaps { taps in
                    for y in 0..<height {
                        let inputRow = input.baseAddress! + y * width * 3
                        let outputRow = output.baseAddress! + y * rowLength
                        for x in 0..<newWidth {
                            var red: Float = 0, green: Float = 0, blue: Float = 0
                            let first = taps.first[x]
                            for k in 0..<taps.count[x] {
                                let weight = taps.weight(output: x, tap: k)
                                let sample = inputRow + (first + k) * 3
                                red += weight * Float(sample[0])
                                green += weight * Float(sample[1])
                                blue += weight * Float(sample[2])
                            }
                            outputRow[x * 3] = red
                            outputRow[x * 3 + 1] = green
                            outputRow[x * 3 + 2] = blue
                        }
                    }
                }
            }
        }

        // Pass 2: each output row is a weighted sum of whole intermediate rows, which
        // walks memory contiguously (and vectorises).
        var sum = [Float](repeating: 0, count: rowLength)
        let result = [UInt8](unsafeUninitializedCapacity: newHeight * rowLength) { output, initializedCount in
            intermediate.withUnsafeBufferPointer { rows in
                sum.withUnsafeMutableBufferPointer { sum in
                    vertical.withTaps { taps in
                        for y in 0..<newHeight {
                            sum.update(repeating: 0)
                            let first = taps.first[y]
                            for k in 0..<taps.count[y] {
                                let weight = taps.weight(output: y, tap: k)
                                let row = rows.baseAddress! + (first + k) * rowLength
                                for i in 0..<rowLength { sum[i] += weight * row[i] }
                            }
                            let outputRow = output.baseAddress! + y * rowLength
                            for i in 0..<rowLength {
                                // +0.5 then truncate = round half up for the clamped range.
                                outputRow[i] = UInt8(min(max(sum[i] + 0.5, 0), 255))
                            }
                        }
                    }
                }
            }
            initializedCount = newHeight * rowLength
        }
        return Image(width: newWidth, height: newHeight, pixels: result)
    }
}
