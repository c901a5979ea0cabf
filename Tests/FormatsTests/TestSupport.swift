import Foundation
import Support
import Testing
import Formats

/// Fixture files made by scripts/make_weights_fixtures.py.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()      // FormatsTests
        .deletingLastPathComponent()      // Tests
        .appendingPathComponent("Fixtures/weights")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func bytes(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    /// The repository root, for the optional real-model test.
    static let repositoryRoot = directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("weights-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    var contents: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Expects `body` to throw the `WeightsError` case named `caseName` (e.g. "truncated") whose
/// message contains `text`; returns the error for further checks.
@discardableResult
func expectError(_ caseName: String, containing text: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) -> WeightsError? {
    do {
        try body()
        Issue.record("expected WeightsError.\(caseName), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as WeightsError {
        check(error, caseName: caseName, text: text, sourceLocation: sourceLocation)
        return error
    } catch let error as FileError {
        // Reading and writing files is Support's: unreadable and unwritable come from there.
        check(error, caseName: caseName, text: text, sourceLocation: sourceLocation)
        return nil
    } catch {
        Issue.record("expected WeightsError.\(caseName), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The bit patterns, so NaN and -0 compare exactly.
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// The fixtures' weight formula (see make_weights_fixtures.py): multiples of 1/64 in [-2, 2).
func patternValues(count: Int, layer: Int) -> [Float] {
    (0 ..< count).map { i in Float((i * 7 + layer * 13) % 251 - 125) / 64 }
}


/// Every case has a payload, so the mirror's single child is labelled with the case name.
private func check(_ error: some Error & CustomStringConvertible, caseName: String, text: String,
                   sourceLocation: SourceLocation) {
    let thrownCase = Mirror(reflecting: error).children.first?.label ?? "\(error)"
    #expect(thrownCase == caseName, "threw \(thrownCase): \(error)", sourceLocation: sourceLocation)
    #expect(text.isEmpty || error.description.contains(text), "message '\(error)' lacks '\(text)'", sourceLocation: sourceLocation)
    #expect(!error.description.contains("\n"), "message is not one line: \(error)", sourceLocation: sourceLocation)
}
