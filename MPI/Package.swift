// swift-tools-version:6.0
//
// ntkbridge-mpi: the `kernel` and `predict` commands over MPI processes, with the outer systems
// solved by ScaLAPACK. A package of its own, so that the toolkit's build and tests never need
// MPI; `make mpi` builds it against Debian's OpenMPI and ScaLAPACK (see Docs/scaling.md).

import Foundation
import PackageDescription

/// The toolkit's root package, one folder up (its identity is its folder's name).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent
/// Debian's OpenMPI folder (include/ and lib/) for this machine's multiarch triple.
let openMPI = ["x86_64-linux-gnu", "aarch64-linux-gnu", "powerpc64le-linux-gnu", "s390x-linux-gnu"]
    .map { "/usr/lib/\($0)/openmpi" }
    .first { FileManager.default.fileExists(atPath: $0 + "/include/mpi.h") } ?? "/usr/lib/x86_64-linux-gnu/openmpi"

let package = Package(
    name: "NTKBridgeMPI",
    products: [
        .executable(name: "ntkbridge-mpi", targets: ["ntkbridge-mpi"]),
    ],
    dependencies: [
        .package(path: root.path),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CMPI",
            cSettings: [.unsafeFlags(["-I\(openMPI)/include", "-I\(openMPI)/include/openmpi"])],
            linkerSettings: [
                .unsafeFlags(["-L\(openMPI)/lib"]),
                .linkedLibrary("mpi"),
                .linkedLibrary("scalapack-openmpi"),
            ]
        ),
        .target(name: "Distributed", dependencies: [
            "CMPI",
            .product(name: "NTKBridge", package: rootIdentity),
        ]),
        .executableTarget(name: "ntkbridge-mpi", dependencies: [
            "Distributed", "CMPI",
            .product(name: "NTKBridge", package: rootIdentity),
            .product(name: "NTKBridgeCommands", package: rootIdentity),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "MPITests", dependencies: [
            .product(name: "NTKBridge", package: rootIdentity),
        ]),
    ]
)
