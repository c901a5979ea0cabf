// swift-tools-version:6.0
// caption: image captioning in one native program (CNN encoder + RNN decoder + alignment scorer).
import PackageDescription

let package = Package(
    name: "caption",
    products: [
        .executable(name: "caption", targets: ["CaptionCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C shims: libjpeg / libpng report errors by longjmp; these catch it and return a code.
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),

        .target(name: "ImageDecoding", dependencies: ["CJPEG", "CPNG"]),
        .target(name: "Tensors", dependencies: ["COpenBLAS"]),
        .target(name: "Weights", dependencies: ["Tensors"]),
        .target(name: "Encoder", dependencies: ["ImageDecoding", "Tensors", "Weights"]),
        .target(name: "Evaluation"),
        .target(name: "Captioning", dependencies: ["Tensors", "Weights"]),
        .target(name: "Alignment", dependencies: ["Captioning", "Tensors", "Weights"]),
        .target(name: "Batch", dependencies: ["ImageDecoding", "Weights"]),
        .target(name: "Training", dependencies: ["Alignment", "Captioning", "Encoder", "Evaluation", "ImageDecoding", "Tensors", "Weights"]),
        .executableTarget(
            name: "CaptionCLI",
            dependencies: [
                "ImageDecoding", "Tensors", "Weights", "Encoder", "Evaluation", "Captioning", "Alignment", "Training", "Batch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "ImageDecodingTests", dependencies: ["ImageDecoding"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "WeightsTests", dependencies: ["Weights", "Tensors"]),
        .testTarget(name: "EncoderTests", dependencies: ["Encoder", "ImageDecoding", "Tensors", "Weights"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"]),
        .testTarget(name: "CaptioningTests", dependencies: ["Captioning", "Tensors"]),
        .testTarget(name: "AlignmentTests", dependencies: ["Alignment", "Captioning", "Evaluation", "Tensors", "Weights"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Captioning", "Tensors"]),
        .testTarget(name: "BatchTests", dependencies: ["Batch"]),
        .testTarget(name: "CaptionCLITests", dependencies: ["CaptionCLI"]),
    ]
)

// libFuzzer targets (Fuzz/<Name>/main.swift), declared only when CAPTION_FUZZ is set, so the
// normal build and test never see them. Build each on its own scratch path with the sanitizer
// flags; the README's "Fuzzing" section has the commands.
if Context.environment["CAPTION_FUZZ"] != nil {
    package.targets.append(.target(name: "CFuzzing", path: "Fuzz/CFuzzing"))
    package.targets.append(.target(name: "ImageFuzzing", dependencies: ["CFuzzing", "ImageDecoding"], path: "Fuzz/ImageFuzzing"))
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzJPEG", ["ImageFuzzing"]),
        ("FuzzPNG", ["ImageFuzzing"]),
        ("FuzzSafeTensors", ["Tensors", "Weights"]),
        ("FuzzONNX", ["Weights"]),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name, dependencies: ["CFuzzing"] + target.dependencies, path: "Fuzz/\(target.name)"))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
