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
        .target(name: "Training", dependencies: ["Alignment", "Captioning", "Encoder", "Evaluation", "ImageDecoding", "Tensors", "Weights"]),
        .executableTarget(
            name: "CaptionCLI",
            dependencies: [
                "ImageDecoding", "Tensors", "Weights", "Encoder", "Evaluation", "Captioning", "Alignment", "Training",
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
        .testTarget(name: "CaptionCLITests", dependencies: ["CaptionCLI"]),
    ]
)
