// The one test-one-input body that every image fuzz target (FuzzJPEG, FuzzPNG, FuzzWebP, FuzzGIF,
// FuzzBMP, FuzzTIFF, FuzzHEIF) shares: they differ only in the signature
// they make sure every input starts with, so every input reaches their decoder.
import CFuzzing
import Foundation
import ImageDecoding

/// Small enough that a header claiming a huge image is refused (the product's real defence)
/// instead of exhausting the fuzzer's memory limit.
private let maxPixels = 4_000_000

/// Set once before the driver starts: libFuzzer takes a C function pointer, which cannot
/// capture the signature.
nonisolated(unsafe) private var signature: [UInt8] = []

private func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Data(bytes: $0, count: count) } ?? Data()
    let data = input.starts(with: signature) ? input : Data(signature) + input
    do {
        let image = try ImageDecoder.decode(data, maxPixels: maxPixels)
        precondition(image.width * image.height <= maxPixels, "decoded \(image.width)x\(image.height)")
    } catch {
        // Any error is fine; the CLI prints it as one line after the file name.
        precondition(!error.description.contains(where: \.isNewline), "multi-line error: \(error)")
    }
    return 0
}

/// Runs libFuzzer on `ImageDecoder.decode`, prepending `format` to inputs that lack it.
public func fuzzImageDecoder(signature format: [UInt8]) -> Never {
    signature = format
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { testOneInput($0, $1) })
}
