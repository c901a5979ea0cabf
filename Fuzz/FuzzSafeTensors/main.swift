// libFuzzer target: SafeTensorsFile(serialized:), on the bytes as given and on a Data slice
// whose indices do not start at 0 (both are valid `Data` a caller may pass). A file that
// reads must read the same both ways. Build and run: README, "Fuzzing".
import CFuzzing
import Foundation
import Tensors
import Formats

/// Shapes and value bit patterns, so NaN compares equal to itself.
private func fingerprint(_ file: SafeTensorsFile) -> [String: [[Int]]] {
    file.tensors.mapValues { [$0.shape, $0.data.map { Int($0.bitPattern) }] }
}

private func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Data(bytes: $0, count: count) } ?? Data()
    let whole = Result { try SafeTensorsFile(serialized: input) }
    let slice = Result { try SafeTensorsFile(serialized: (Data([0x5A, 0x5A]) + input).dropFirst(2)) }
    switch (whole, slice) {
    case let (.success(a), .success(b)):
        precondition(fingerprint(a) == fingerprint(b), "the slice decoded differently")
        precondition(a.metadata == b.metadata, "the slice's metadata differs")
        for (name, tensor) in a.tensors {
            precondition((try? a.tensor(name, shape: tensor.shape)) != nil, "tensor(\(name)) failed")
        }
    case let (.failure(error), .failure):
        precondition(!"\(error)".contains(where: \.isNewline), "multi-line error: \(error)")
    default:
        preconditionFailure("the whole file and the slice disagree: \(whole) vs \(slice)")
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { testOneInput($0, $1) })
