import Foundation
import Tensors
import Testing
import Formats
import Encoder

/// The fuzzers' findings and seeds, replayed on every test run (README, "Fuzzing").
///
/// `Tests/Fixtures/fuzz/{safetensors,onnx}` holds the reproducers the fuzz targets found
/// (`crash-*`, `oom-*`, `timeout-*`, minimized) and the hostile files from
/// scripts/make_fuzz_fixtures.py (lying lengths, huge offsets and shapes, nested protobuf length
/// overflows, importer graph cycles); `Fuzz/corpus/{safetensors,onnx}` is the seed corpus. Every
/// file, and every truncation of every seed, must read or throw a one-line `WeightsError`, the
/// same whether it is passed as a whole `Data` or as a slice whose indices do not start at 0.
@Suite struct FuzzRegressionTests {
    static let root = Fixture.repositoryRoot

    static func files(_ folder: String) throws -> [(name: String, data: Data)] {
        let directory = root.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            ($0, try Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }

    static func fuzzFile(_ path: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/fuzz/\(path)"))
    }

    /// The same bytes in a `Data` whose indices start at 2.
    static func shifted(_ data: Data) -> Data { (Data([0x5A, 0x5A]) + data).dropFirst(2) }

    /// Runs `body`; an error must be a one-line `WeightsError`. Returns nil on error.
    @discardableResult
    static func expectWeightsError<T>(_ name: String, _ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch let error as WeightsError {
            let isOneLine = !error.description.contains(where: \.isNewline)
            #expect(isOneLine, "\(name): \(error)")
        } catch {
            Issue.record("\(name): expected a WeightsError, got \(error)")
        }
        return nil
    }

    /// Shapes and value bit patterns (so NaN equals itself) of every tensor.
    static func contents(_ file: SafeTensorsFile) -> [String: [[Int]]] {
        file.tensors.mapValues { [$0.shape, $0.data.map { Int($0.bitPattern) }] }
    }

    /// Reads `data` as safetensors both ways; returns the file when it reads.
    @discardableResult
    static func readSafeTensors(_ data: Data, _ name: String) -> SafeTensorsFile? {
        let whole = expectWeightsError(name) { try SafeTensorsFile(serialized: data) }
        let slice = expectWeightsError("\(name) (slice)") { try SafeTensorsFile(serialized: shifted(data)) }
        #expect((whole == nil) == (slice == nil), "\(name): whole and slice disagree")
        if let whole, let slice {
            #expect(contents(whole) == contents(slice), "\(name)")
            #expect(whole.metadata == slice.metadata, "\(name)")
        }
        return whole
    }

    static let tinyLayout = ConvNetLayout(name: "tiny", layers: [
        ConvLayerSpec(name: "conv1", inputChannels: 3, outputChannels: 4),
        ConvLayerSpec(name: "conv2", inputChannels: 4, outputChannels: 4),
        ConvLayerSpec(name: "conv3", inputChannels: 4, outputChannels: 8),
    ])

    /// Parses `data` as ONNX both ways, then decodes every initializer and walks the graph for
    /// VGG16 and the 3-layer fixture layout, as the fuzz target does; returns the model.
    @discardableResult
    static func readONNX(_ data: Data, _ name: String) -> ONNXModel? {
        let whole = expectWeightsError(name) { try ONNXModel(serialized: data) }
        let slice = expectWeightsError("\(name) (slice)") { try ONNXModel(serialized: shifted(data)) }
        #expect((whole == nil) == (slice == nil), "\(name): whole and slice disagree")
        guard let whole else { return nil }
        for tensor in whole.graph.initializers {
            expectWeightsError("\(name): \(tensor.name)") { try tensor.floatTensor() }
        }
        for layout in [ConvNetLayout.vgg16, tinyLayout] {
            expectWeightsError("\(name): \(layout.name)") { try ONNXConvImporter(layout: layout).extractLayers(from: whole) }
        }
        return whole
    }

    // MARK: - safetensors

    @Test func safeTensorsReproducersAndHostileFilesReadOrThrow() throws {
        let files = try Self.files("Tests/Fixtures/fuzz/safetensors")
        #expect(files.count >= 10)
        for (name, data) in files { Self.readSafeTensors(data, name) }
    }

    @Test func safeTensorsSeedsReadAndEveryTruncationThrows() throws {
        for (name, data) in try Self.files("Fuzz/corpus/safetensors") {
            #expect(Self.readSafeTensors(data, name) != nil, "\(name) does not read")
            // Tensors must tile the data exactly, so no strict prefix is a valid file.
            for length in 0 ..< data.count {
                #expect(Self.readSafeTensors(data.prefix(length), "\(name)[..<\(length)]") == nil)
            }
        }
    }

    /// A tensor named "c\nv" with a bad dtype made a two-line error message (found by
    /// FuzzSafeTensors); names from the file are now escaped.
    @Test func namesFromTheFileAreEscapedInErrors() throws {
        let data = try Self.fuzzFile("safetensors/crash-24a4e8a5-tensor-name-newline.safetensors")
        expectError("unsupportedDType", containing: #"tensor 'c\nv': unsupported dtype 'F`16'"#) {
            _ = try SafeTensorsFile(serialized: data)
        }
        let controls = try Self.fuzzFile("safetensors/name_with_control_characters.safetensors")
        expectError("unsupportedDType", containing: #"tensor 'a\nb\r\u{85}\u{2028}c\u{0}': unsupported dtype 'I8'"#) {
            _ = try SafeTensorsFile(serialized: controls)
        }
    }

    @Test func hugeOffsetsAndShapesFailWithoutAllocating() throws {
        let cases: [(String, String, String)] = [
            ("header_length_u64_max", "headerTooLarge", "18446744073709551615"),
            ("header_length_100mb", "truncated", "the header needs 100000000 bytes"),
            ("offsets_near_int_max", "truncated", "ends at data byte 9223372036854775804"),
            ("offsets_over_int_max", "invalidHeader", "data_offsets"),
            ("shape_product_overflows", "invalidShape", "too many elements"),
            ("shape_bytes_overflow", "invalidShape", "too many elements"),
            ("deeply_nested_metadata", "invalidHeader", ""),
        ]
        for (name, caseName, text) in cases {
            let data = try Self.fuzzFile("safetensors/\(name).safetensors")
            expectError(caseName, containing: text) { _ = try SafeTensorsFile(serialized: data) }
        }
        // Zero elements times anything is an empty tensor, not an overflow.
        let empty = try Self.fuzzFile("safetensors/shape_zero_times_huge.safetensors")
        #expect(try SafeTensorsFile(serialized: empty).tensors["x"]?.shape == [0, 1 << 62, 1 << 62])
    }

    // MARK: - ONNX

    @Test func onnxReproducersAndHostileFilesReadOrThrow() throws {
        let files = try Self.files("Tests/Fixtures/fuzz/onnx")
        #expect(files.count >= 10)
        for (name, data) in files { Self.readONNX(data, name) }
    }

    @Test func onnxSeedsReadAndTruncationsNeverCrash() throws {
        for (name, data) in try Self.files("Fuzz/corpus/onnx") {
            #expect(Self.readONNX(data, name) != nil, "\(name) does not read")
            // A protobuf cut at a field boundary is still well formed, so prefixes may parse.
            for length in 0 ..< data.count {
                Self.readONNX(data.prefix(length), "\(name)[..<\(length)]")
            }
        }
    }

    @Test func nestedLengthOverflowsAreMalformed() throws {
        for name in ["length_u64_max", "length_int_max", "length_past_end", "nested_length_overflow",
                     "nested_length_overflow_deep", "varint_11_bytes", "varint_10th_byte_too_big"] {
            let data = try Self.fuzzFile("onnx/\(name).onnx")
            expectError("malformedProtobuf") { _ = try ONNXModel(serialized: data) }
        }
    }

    /// Node and tensor names from the file are escaped in importer errors (a Conv node named
    /// "conv1\nnode\r" made a three-line message; found with the hand-made inputs).
    @Test func importerErrorsStayOneLine() throws {
        let model = try ONNXModel(serialized: Self.fuzzFile("onnx/importer_node_name_newline.onnx"))
        expectError("layoutMismatch", containing: #"Conv node 'conv1\nnode\r': strides"#) {
            _ = try ONNXConvImporter(layout: Self.tinyLayout).extractLayers(from: model)
        }
        for (name, text) in [
            ("importer_identity_self_loop", "behind too many Identity nodes"),
            ("importer_identity_cycle", "behind too many Identity nodes"),
            ("importer_identity_empty_input", "expected an initializer"),
            ("importer_constant_without_tensor", "without a tensor 'value'"),
            ("importer_weight_from_relu", "computed by Relu node 'r'"),
            ("importer_no_bias_input", "has no bias"),
        ] {
            let model = try ONNXModel(serialized: Self.fuzzFile("onnx/\(name).onnx"))
            expectError("layoutMismatch", containing: text) {
                _ = try ONNXConvImporter(layout: Self.tinyLayout).extractLayers(from: model)
            }
        }
    }
}
