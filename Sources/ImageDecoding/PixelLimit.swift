/// Checks the size a header claims before any pixel memory is allocated, and returns
/// the byte count of the RGB8 buffer (`width * height * 3`).
///
/// A 100-byte file can claim 100,000 x 100,000 pixels; the limit stops that from turning
/// into a 30 GB allocation, and the overflow checks stop absurd sizes from wrapping around.
func rgbByteCount(width: Int, height: Int, maxPixels: Int) throws(ImageDecodingError) -> Int {
    guard width > 0, height > 0 else {
        throw .corrupt("image has no pixels (\(width)x\(height))")
    }
    let (pixelCount, pixelsOverflow) = width.multipliedReportingOverflow(by: height)
    let (byteCount, bytesOverflow) = pixelCount.multipliedReportingOverflow(by: 3)
    guard !pixelsOverflow, !bytesOverflow, pixelCount <= maxPixels else {
        throw .tooLarge(width: width, height: height, limit: maxPixels)
    }
    return byteCount
}
