// swift-tools-version:6.0
//
// NTKBridge: exact infinite-width kernels, GBML and MTL predictors, and finite-width
// networks trained for real. Modules are layered bottom-up; a module imports only
// those listed before it (see Docs/architecture.md).

import PackageDescription

let package = Package(
    name: "NTKBridge",
    products: [
        .executable(name: "ntkbridge", targets: ["ntkbridge"]),
        .library(name: "NTKBridge", targets: [
            "LinearAlgebra", "InfiniteWidth", "FewShot", "Datasets", "Paradigms", "FiniteWidth", "Studies", "Reports",
        ]),
        // The command layer, for the MPI product built by `make mpi` (MPI/Package.swift).
        .library(name: "NTKBridgeCommands", targets: ["NTKBridgeCommands"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        // Native library shims.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE"),
        .systemLibrary(name: "CGSL", path: "Sources/CGSL"),
        .systemLibrary(name: "CZip", path: "Sources/CZip"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        // Hot elementwise loops (AVX2/FMA paths chosen at run time).
        .target(
            name: "CNumerics",
            linkerSettings: [.linkedLibrary("m")]
        ),

        .target(name: "LinearAlgebra", dependencies: ["CBLAS", "CLAPACKE", "CNumerics"]),
        .target(name: "InfiniteWidth", dependencies: [
            "LinearAlgebra", "CNumerics", "CGSL",
            .product(name: "RealModule", package: "swift-numerics"),
        ]),
        .target(name: "FewShot", dependencies: [
            "LinearAlgebra", "CZip",
            .product(name: "RealModule", package: "swift-numerics"),
        ]),
        .target(name: "Datasets", dependencies: ["LinearAlgebra", "FewShot", "CZip", "CPNG"]),
        .target(name: "Paradigms", dependencies: ["LinearAlgebra", "InfiniteWidth", "FewShot"]),
        .target(name: "FiniteWidth", dependencies: [
            "LinearAlgebra", "InfiniteWidth", "FewShot", "Paradigms", "CBLAS",
            .product(name: "RealModule", package: "swift-numerics"),
        ]),
        // Sweeps and studies: loops over the mathematics of the modules below, summarized.
        .target(name: "Studies", dependencies: ["LinearAlgebra", "InfiniteWidth", "FewShot", "Paradigms", "FiniteWidth"]),
        .target(name: "Reports", dependencies: ["LinearAlgebra", "InfiniteWidth", "Paradigms", "FiniteWidth", "Studies"]),
        .target(name: "NTKBridgeCommands", dependencies: [
            "LinearAlgebra", "InfiniteWidth", "FewShot", "Datasets", "Paradigms", "FiniteWidth", "Studies", "Reports",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ntkbridge", dependencies: ["NTKBridgeCommands", "LinearAlgebra"]),
        .executableTarget(name: "Benchmarks", dependencies: [
            "LinearAlgebra", "InfiniteWidth", "FewShot", "Datasets", "Paradigms", "FiniteWidth", "CNumerics",
        ]),

        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "InfiniteWidthTests", dependencies: ["InfiniteWidth", "LinearAlgebra", "TestSupport", "CNumerics"]),
        .target(name: "TestSupport", dependencies: ["LinearAlgebra", "Reports", "FewShot", "CZip"], path: "Tests/TestSupport"),
        .testTarget(name: "FewShotTests", dependencies: ["FewShot", "LinearAlgebra", "TestSupport", "CZip"]),
        .testTarget(name: "ParadigmsTests", dependencies: ["Paradigms", "FewShot", "LinearAlgebra", "InfiniteWidth", "TestSupport"]),
        .testTarget(name: "FiniteWidthTests", dependencies: ["FiniteWidth", "Paradigms", "FewShot", "LinearAlgebra", "InfiniteWidth"]),
        .testTarget(name: "StudiesTests", dependencies: ["Studies", "FiniteWidth", "Paradigms", "FewShot", "LinearAlgebra", "InfiniteWidth"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "FewShot", "LinearAlgebra", "TestSupport"]),
        .testTarget(name: "CommandTests", dependencies: [
            "NTKBridgeCommands", "LinearAlgebra", "InfiniteWidth", "FewShot", "FiniteWidth", "Reports", "TestSupport",
        ]),
        .testTarget(name: "ReliabilityTests", dependencies: ["NTKBridgeCommands", "LinearAlgebra", "FewShot", "Reports", "TestSupport"]),
    ]
)

// `make fuzz` only (NTKBRIDGE_FUZZ=1, built with -sanitize=fuzzer into .build-fuzz): libFuzzer
// targets for the readers, whose `main` comes from libFuzzer.
if Context.environment["NTKBRIDGE_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzDriver", path: "Tests/Fuzz/FuzzDriver"))
    for (name, dependencies) in [("FuzzCSV", ["LinearAlgebra"]), ("FuzzTaskFile", ["FewShot"]), ("FuzzNpy", ["LinearAlgebra", "Reports"])] {
        package.targets.append(.executableTarget(name: name, dependencies: (dependencies + ["FuzzDriver"]).map { .target(name: $0) },
                                                 path: "Tests/Fuzz/\(name)", swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
