// swift-tools-version: 6.1
//
// Berth: a container runtime in Swift.
//
// Targets are split into tiers by what the per-container shim may link:
//
//   tier 0  C         CBerthSys, CLibcap, CLibseccomp, CLibbpf
//   tier 1  shim      BerthErrors, BerthSystem, BerthOCI  (never full Foundation)
//   tier 2  daemon    BerthCapabilities, BerthSeccomp, BerthBPF, BerthBundle, ...
//
// docs/ARCHITECTURE.md lists which module may import which.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berthd", targets: ["berthd"]),
        .executable(name: "berth-shim", targets: ["berth-shim"]),
        .executable(name: "berth", targets: ["berth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // traits: [] keeps full Foundation out (BinaryDelimitedStreams trait);
        // pinned exactly: the generated code in */Generated/ is tied to it.
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0", traits: []),
    ],
    targets: [
        // MARK: tier 0, C

        // The one C target: only what Swift cannot do safely (spawn after fork,
        // pidfd, prctl, constants glibc hides). Every function returns -errno.
        .target(name: "CBerthSys"),
        .systemLibrary(name: "CLibcap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CLibseccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CLibbpf", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev"])]),

        // MARK: tier 1, shim-safe (no full Foundation)

        .target(name: "BerthErrors", swiftSettings: swiftSettings),
        .target(
            name: "BerthSystem",
            dependencies: ["CBerthSys", "BerthErrors"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthOCI",
            dependencies: ["BerthErrors", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        // Shim v2 wire types generated from Sources/BerthShimProto/protos by
        // hack/gen-proto.sh; the ttrpc frame codec.
        .target(
            name: "BerthShimProto",
            dependencies: ["BerthErrors", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["protos"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthTTRPC",
            dependencies: ["BerthErrors", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["protos"],
            swiftSettings: swiftSettings
        ),

        // MARK: tier 2, daemon side

        .target(
            name: "BerthCapabilities",
            dependencies: ["CLibcap", "BerthErrors"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthSeccomp",
            dependencies: ["CLibseccomp", "BerthErrors", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthBPF",
            dependencies: ["CLibbpf", "BerthErrors"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthBundle",
            dependencies: [
                "BerthOCI", "BerthErrors", "BerthCapabilities", "BerthSeccomp",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthHost",
            dependencies: [
                "BerthErrors", "BerthSystem", "BerthCapabilities", "BerthSeccomp", "BerthBPF",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: executables

        .executableTarget(
            name: "berth-shim",
            dependencies: ["BerthSystem", "BerthErrors"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "berthd",
            dependencies: [
                "BerthSystem", "BerthOCI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "berth",
            dependencies: [
                "BerthOCI", "BerthBundle", "BerthHost", "BerthSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: tests

        .testTarget(
            name: "BerthWireTests",
            dependencies: [
                "BerthShimProto", "BerthTTRPC", "BerthErrors", "BerthTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "BerthTestSupport",
            dependencies: ["BerthSystem", "BerthOCI"],
            path: "Tests/BerthTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BerthOCITests",
            dependencies: ["BerthOCI", "BerthTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BerthSystemTests",
            dependencies: ["BerthSystem", "CBerthSys", "BerthTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BerthHostTests",
            dependencies: [
                "BerthCapabilities", "BerthSeccomp", "BerthBPF", "BerthHost", "BerthTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BerthBundleTests",
            dependencies: [
                "BerthBundle", "BerthOCI", "BerthSystem", "BerthTestSupport", "BerthCapabilities", "BerthSeccomp",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
