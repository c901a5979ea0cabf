import Testing

/// The help a user reads is part of the interface: tested verbatim so it cannot go stale
/// silently. Update these strings when the help changes on purpose.
@Suite struct HelpTextTests {
    @Test func versionPrintsTheVersion() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "0.1.0\n")
    }

    @Test func importWeightsHelpIsVerbatim() throws {
        let result = try CLI.run(["import-weights", "--help"], environment: ["COLUMNS": "100"])
        #expect(result.status == 0)
        #expect(result.stdout == """
            OVERVIEW: Import VGG16's conv weights from an ONNX file.

            Finds the 13 Conv nodes in graph order, checks their shapes against VGG16's (3×3 kernels,
            64-64-128-128-256×3-512×6 channels), and writes them as conv1_1.weight … conv5_3.bias to a
            safetensors file, with a manifest beside it that records the source's sha256. scripts/setup runs
            this on the pinned Keras VGG16 (ImageNet weights, BGR "caffe" input). Other VGG16 exports import
            the same way (e.g. the ONNX model zoo's torchvision layout), and the encoder applies their RGB
            normalization instead.

            Example:
              caption import-weights .cache/vgg16.onnx

            USAGE: caption import-weights <file.onnx> [--out <file>]

            ARGUMENTS:
              <file.onnx>             An ONNX model holding VGG16's conv layers.

            OPTIONS:
              --out <file>            Where to write the weights (default: weights/vgg16.safetensors).
              --version               Show the version.
              -h, --help              Show help information.


            """)
    }

    @Test func unknownSubcommandOptionIsAUsageError() throws {
        let result = try CLI.run(["import-weights", "--bogus", "x.onnx"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("caption: error: Unknown option '--bogus'"))
    }

    @Test func importingANonONNXFileIsOneLine() throws {
        let bad = CLI.fixtures.appendingPathComponent("decoding/bad/text.jpg").path
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("w.safetensors").path
        let result = try CLI.run(["import-weights", bad, "--out", out])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("caption: error: \(bad): "))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
