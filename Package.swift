// swift-tools-version:6.0
// caption: image captioning in one native program (CNN encoder + RNN decoder + alignment scorer).
//
// Modules, bottom to top; each imports only modules listed before it (ARCHITECTURE.md has the
// picture and the rules). The CLI is a thin layer of commands over `Application`.
import PackageDescription

let package = Package(
    name: "caption",
    products: [
        .executable(name: "caption", targets: ["CaptionCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C shims over Debian's image libraries (libjpeg-turbo, libpng, libwebp, giflib, libtiff,
        // libheif), one file per library, all with the same two calls (header, then pixels). Some
        // of these libraries report errors by longjmp or print them; the shims catch every failure
        // and return a status and a one-line message.
        .target(name: "CImageCodecs", linkerSettings: [
            .linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("webp"), .linkedLibrary("webpdemux"),
            .linkedLibrary("gif"), .linkedLibrary("tiff"), .linkedLibrary("heif"), .linkedLibrary("dav1d"),
        ]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        // The decoder's panel products and float16 widening in AVX2 + FMA + F16C, chosen at run
        // time (the Swift code is compiled for baseline x86-64), with a portable fallback.
        .target(name: "CKernels"),
        // One pool of worker threads that spin briefly between jobs, under `Parallel.forEach`.
        .target(name: "CWorkerPool"),

        // The bottom: no model knowledge.
        .target(name: "Support"),
        .target(name: "ImageDecoding", dependencies: ["CImageCodecs"]),
        .target(name: "Tensors", dependencies: ["COpenBLAS", "CWorkerPool"]),
        .target(name: "Formats", dependencies: ["CKernels", "Support", "Tensors"]),
        .target(name: "Text"),
        .target(name: "Evaluation"),
        // The models.
        .target(name: "Encoder", dependencies: ["Formats", "ImageDecoding", "Support", "Tensors"]),
        .target(name: "Captioning", dependencies: ["CKernels", "Formats", "Tensors", "Text"]),
        .target(name: "Alignment", dependencies: ["Encoder", "Formats", "Tensors", "Text"]),
        // Data and training.
        .target(name: "Datasets", dependencies: ["Alignment", "Captioning", "Encoder", "Evaluation", "Formats",
                                                 "ImageDecoding", "Support", "Tensors", "Text"]),
        .target(name: "Learning", dependencies: ["Alignment", "Captioning", "Datasets", "Evaluation", "Formats",
                                                 "Support", "Tensors", "Text"]),
        // What a command or a server does, without argument parsing.
        .target(name: "Application",
                 dependencies: ["Alignment", "Captioning", "Datasets", "Encoder", "Evaluation", "Formats",
                                "ImageDecoding", "Support", "Tensors", "Text"],
                 resources: [.copy("Resources")]),
        // `caption serve`: the HTTP API, cross-request batching and the web page, over Application.
        .target(name: "Serving",
                dependencies: ["Application", "Alignment", "Captioning", "Encoder", "ImageDecoding", "Support", "Tensors",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "MultipartKit", package: "multipart-kit"),
                               .product(name: "Prometheus", package: "swift-prometheus"),
                               .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "CaptionCLI",
            dependencies: [
                "Application", "Serving", "Alignment", "Captioning", "Datasets", "Encoder", "Evaluation", "Formats",
                "ImageDecoding", "Learning", "Support", "Tensors", "Text",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "ImageDecodingTests", dependencies: ["ImageDecoding"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "FormatsTests", dependencies: ["Formats", "Encoder", "Support", "Tensors"]),
        .testTarget(name: "EncoderTests", dependencies: ["Encoder", "Formats", "ImageDecoding", "Tensors"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"]),
        .testTarget(name: "CaptioningTests", dependencies: ["CKernels", "Captioning", "Formats", "Learning", "Tensors", "Text"]),
        .testTarget(name: "AlignmentTests", dependencies: ["Alignment", "Encoder", "Evaluation", "Formats", "Tensors", "Text"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Captioning", "Encoder", "Formats", "Support", "Tensors", "Text"]),
        .testTarget(name: "ApplicationTests", dependencies: ["Application", "Alignment", "Captioning", "Encoder",
                                                             "ImageDecoding", "Support", "Tensors", "Text"]),
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
        ("FuzzWebP", ["ImageFuzzing"]),
        ("FuzzGIF", ["ImageFuzzing"]),
        ("FuzzBMP", ["ImageFuzzing"]),
        ("FuzzTIFF", ["ImageFuzzing"]),
        ("FuzzHEIF", ["ImageFuzzing"]),
        ("FuzzSafeTensors", ["Tensors", "Formats"]),
        ("FuzzONNX", ["Formats", "Encoder"]),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name, dependencies: ["CFuzzing"] + target.dependencies, path: "Fuzz/\(target.name)"))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
