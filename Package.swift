// swift-tools-version:6.0
import PackageDescription

// The engine's numeric loops must be optimised even in the debug build that `swift test`
// makes: unoptimised, Swift's SIMD and pointer code runs about 100x slower. Everything is
// built for baseline x86-64, so the binaries run on any x86-64 CPU; the convolutions' AVX2
// and AVX-512 kernels (CKernels) are chosen at run time from what the CPU reports.
let numericFlags: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "dipd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dip", targets: ["dip"]),
        .executable(name: "dipd", targets: ["dipd"]),
        .library(name: "DIPEngine", targets: ["DIPEngine"]),
        .library(name: "ImageCodec", targets: ["ImageCodec"]),
        .library(name: "ModelWeights", targets: ["ModelWeights"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // System libraries, installed from Debian packages by scripts/setup.
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // <sys/epoll.h>, which Swift's Glibc module does not include.
        .systemLibrary(name: "CEpoll"),

        // The engine's numeric kernels in C: CPU feature detection and SGEMM for each instruction
        // set, chosen at run time. Built for baseline x86-64; the AVX2 and AVX-512 code is enabled
        // per function. Optimised even in debug builds, like the engine.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // The fitting engine: tensors, layers, the skip network, Adam, the DIP loop. No I/O.
        .target(name: "DIPEngine", dependencies: ["CKernels"],
                swiftSettings: numericFlags),
        // Classic-libpng reader and writer: keep libpng's setjmp/longjmp in C, pass exact 16-bit samples.
        .target(name: "CPNGRead", dependencies: ["CPNG"]),
        // Image decoding and encoding (PNG, JPEG). Knows nothing of networks.
        .target(name: "ImageCodec", dependencies: ["CPNG", "CPNGRead", "CTurboJPEG"],
                swiftSettings: numericFlags),
        // Pretrained weights files (ncnn .param/.bin, safetensors) as named float tensors. Knows nothing of networks.
        .target(name: "ModelWeights"),
        // HTTP/1.1 server on sockets and Dispatch. Knows nothing of DIP.
        .target(name: "HTTPServer", dependencies: ["COpenSSL", "CEpoll", .product(name: "Logging", package: "swift-log")],
                exclude: ["README.md"]),

        // Cutting a large image into overlapping tiles and blending the tiles' outputs back. Pure
        // arithmetic on decoded images; optimised even in debug builds, like the codecs.
        .target(name: "Tiling", dependencies: ["ImageCodec"], swiftSettings: numericFlags),

        // Decoded images ↔ engine tensors (alpha set aside, masks); shared by the CLI and the service.
        .target(name: "ImageTensors", dependencies: ["DIPEngine", "ImageCodec"]),
        // From a task spec (the API's JSON or form fields, the CLI's flags) to an engine task:
        // the one path the CLI and the service share. No HTTP, no files.
        .target(name: "DIPTasks", dependencies: ["DIPEngine"]),
        // The job service: spec validation, queue, workers, persistence, the HTTP API. Wires
        // the engine, the codecs and the HTTP server together.
        .target(name: "JobService", dependencies: [
            "DIPEngine", "DIPTasks", "ImageCodec", "ImageTensors", "ModelWeights", "HTTPServer", "COpenSSL", "Tiling",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], plugins: ["EmbedFiles"]),
        // openapi.yaml and web/ into the service as strings, at every build (Plugins/EmbedFiles).
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        .executableTarget(name: "embed-files"),
        // The service's executable: configuration (file, environment, flags) and start-up.
        .executableTarget(name: "dipd", dependencies: [
            "JobService", "HTTPServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The command-line tool.
        .executableTarget(name: "dip", dependencies: [
            "DIPEngine", "DIPTasks", "ImageCodec", "ImageTensors", "ModelWeights",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Example server over HTTPServer; the HTTP benchmark runs it (Benchmarks/http).
        .executableTarget(name: "http-echo", dependencies: [
            "HTTPServer", .product(name: "Logging", package: "swift-log"),
        ]),
        // Benchmarks: print figures, assert nothing.
        .executableTarget(name: "dip-bench", dependencies: ["DIPEngine", "CKernels"], path: "Benchmarks/dip-bench",
                          swiftSettings: numericFlags),

        // Locates the demo images and weights files the tests read (Tests/Data, see its NOTICE), and
        // makes real JPEGs with TurboJPEG's encoder.
        .target(name: "TestData", dependencies: ["CTurboJPEG"], path: "Tests/TestData"),
        .testTarget(name: "DIPEngineTests", dependencies: ["DIPEngine", "CKernels"], exclude: ["Fixtures"],
                    swiftSettings: numericFlags),
        .testTarget(name: "ImageCodecTests", dependencies: ["ImageCodec", "TestData"]),
        // The applications (super-resolution, inpainting, JPEG artefacts, ...) on the demo images.
        .testTarget(name: "DIPTaskTests", dependencies: ["DIPEngine", "ImageCodec", "TestData"],
                    swiftSettings: numericFlags),
        .testTarget(name: "TilingTests", dependencies: ["Tiling", "ImageCodec"], swiftSettings: numericFlags),
        .testTarget(name: "ModelWeightsTests", dependencies: ["ModelWeights", "TestData"]),
        // The pretrained classifier and the pre-image task, fed by real weights files.
        .testTarget(name: "PreimageTests", dependencies: ["DIPEngine", "ModelWeights", "ImageCodec", "TestData"],
                    swiftSettings: numericFlags),
        // Runs the built `dip` binary as a user would.
        .testTarget(name: "DIPCLITests", dependencies: ["dip", "DIPTasks", "DIPEngine", "ImageCodec", "TestData"]),
        // Unit tests of the service's parts, and end-to-end tests of the real `dipd` binary.
        .testTarget(name: "JobServiceTests", dependencies: [
            "JobService", "dipd", "ImageCodec", "ImageTensors", "DIPEngine", "HTTPServer", "TestData",
        ]),
        .testTarget(name: "HTTPServerTests", dependencies: [
            "HTTPServer", .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
