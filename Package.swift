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

/// Static Swift runtime and Foundation, non-PIE, no exported symbol table:
/// how berthd and berth are linked (see the comments at each). The -l flags
/// are what static Foundation needs and autolinking misses, in dependency order.
let staticFoundationLinking: LinkerSetting = .unsafeFlags([
    "-static-stdlib", "-Xlinker", "-no-pie", "-Xlinker", "--no-export-dynamic",
    "-lFoundation", "-lFoundationInternationalization", "-lFoundationEssentials", "-lCoreFoundation",
    "-l_FoundationICU", "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization",
    "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime",
])

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
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // berthd's gRPC API (containerd v1 services) on a unix socket.
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        // berth bench's latency percentiles.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // MARK: tier 0, C

        // The one C target: only what Swift cannot do safely (spawn after fork,
        // pidfd, prctl, constants glibc hides). Every function returns -errno.
        .target(name: "CBerthSys"),
        .systemLibrary(name: "CLibcap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CLibseccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CLibbpf", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev"])]),
        .systemLibrary(name: "CLibarchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),

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
            dependencies: ["BerthErrors", "BerthSystem", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["protos"],
            swiftSettings: swiftSettings
        ),

        // The OCI executor drivers (runc, crun, runsc): argv builders,
        // configuration, quirk adapters. The shim logic: task and exec state
        // machines, Task service, event publisher and journal, stdio.
        .target(
            name: "BerthExecutor",
            dependencies: ["BerthErrors", "BerthSystem"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthShimCore",
            dependencies: [
                "BerthErrors", "BerthSystem", "BerthExecutor", "BerthTTRPC", "BerthShimProto",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
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

        // Metadata (SQLite), content store and garbage collection.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "BerthMetadata",
            dependencies: ["CSQLite", "BerthErrors", "BerthOCI", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthContent",
            dependencies: [
                "BerthMetadata", "BerthErrors", "BerthOCI", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthGC",
            dependencies: [
                "BerthMetadata", "BerthContent", "BerthErrors", "BerthOCI",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Registry client (OCI distribution spec) and image archives.
        .target(
            name: "BerthRegistry",
            dependencies: [
                "BerthErrors", "BerthOCI", "BerthContent", "BerthMetadata", "BerthArchive",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Tar streams (the only user of libarchive), snapshots and layer unpack.
        .target(
            name: "BerthArchive",
            dependencies: ["CLibarchive", "BerthErrors"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthSnapshots",
            dependencies: [
                "CBerthSys", "BerthErrors", "BerthSystem", "BerthMetadata",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BerthUnpack",
            dependencies: [
                "CBerthSys", "BerthErrors", "BerthSystem", "BerthOCI", "BerthMetadata", "BerthArchive",
                "BerthSnapshots", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // berthd's API: containerd 1.6 v1 services generated from
        // Sources/BerthAPI/protos by hack/gen-proto.sh (messages + grpc-swift-2 stubs).
        .target(
            name: "BerthAPI",
            dependencies: [
                "BerthShimProto", "BerthTTRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            exclude: ["protos"],
            swiftSettings: swiftSettings
        ),
        // The daemon's runtime v2 task manager: bundles, shim launch and
        // connections (ttrpc over NIO), the event gate, restart recovery.
        .target(
            name: "BerthRuntime",
            dependencies: [
                "BerthErrors", "BerthSystem", "BerthOCI", "BerthShimProto", "BerthTTRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The daemon as a library: configuration, server assembly, services.
        .target(
            name: "BerthDaemon",
            dependencies: [
                "BerthAPI", "BerthErrors", "BerthSystem", "BerthOCI", "BerthShimProto", "BerthTTRPC", "BerthMetadata",
                "BerthContent", "BerthGC", "BerthSnapshots", "BerthUnpack", "BerthArchive", "BerthRegistry",
                "BerthRuntime",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: executables

        .executableTarget(
            name: "berth-shim",
            dependencies: ["BerthShimCore", "BerthSystem", "BerthErrors"],
            swiftSettings: swiftSettings,
            // Static Swift runtime, non-PIE: one shim runs per container, and
            // this keeps its private dirty memory small (no relocated runtime
            // data per process; code pages are shared through the page cache).
            // The -l flags name what static FoundationEssentials (through
            // SwiftProtobuf) needs and autolinking misses. docs/shim-protocol.md §8.
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib", "-Xlinker", "-no-pie",
                    "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization",
                ])
            ]
        ),
        .executableTarget(
            name: "berthd",
            dependencies: [
                "BerthDaemon", "BerthSystem", "BerthOCI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings,
            // Idle RSS (issue 6's budget is 32 MiB; hack/bench-daemon.sh):
            // static Swift runtime and Foundation, non-PIE, as the shim, so
            // only the pages berthd touches are mapped and no runtime data is
            // relocated at start-up (~6 MiB); and no exported symbol table
            // (static-stdlib-args.lnk asks for --export-dynamic), which the
            // dynamic linker would hash through for every shared-library
            // symbol (~2.5 MiB). The -l flags are what static Foundation needs
            // and autolinking misses, in dependency order.
            linkerSettings: [
                staticFoundationLinking
            ]
        ),
        .executableTarget(
            name: "berth",
            dependencies: [
                "BerthOCI", "BerthBundle", "BerthHost", "BerthSystem", "BerthAPI", "BerthErrors", "BerthRegistry",
                "BerthShimProto", "BerthSnapshots",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings,
            // Linked as berthd is (static Swift runtime and Foundation,
            // non-PIE, no exported symbol table): the CLI starts in a few
            // milliseconds instead of ~30 (loading and binding the shared
            // Swift and Foundation libraries), which `berth run` pays on
            // every container.
            linkerSettings: [
                staticFoundationLinking
            ]
        ),

        // MARK: tests

        .testTarget(
            name: "BerthSnapshotsTests",
            dependencies: [
                "BerthArchive", "BerthSnapshots", "BerthUnpack", "BerthOCI", "BerthMetadata", "BerthErrors",
                "BerthSystem", "CBerthSys", "BerthTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BerthRegistryTests",
            dependencies: [
                "BerthRegistry", "BerthContent", "BerthMetadata", "BerthArchive", "BerthOCI", "BerthErrors",
                "BerthSnapshots", "BerthUnpack", "BerthTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
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
            name: "BerthShimTests",
            dependencies: [
                "BerthShimCore", "BerthExecutor", "BerthSystem", "BerthTTRPC", "BerthShimProto", "BerthErrors",
                "BerthTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
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
                "BerthBundle", "BerthOCI", "BerthErrors", "BerthSystem", "BerthTestSupport", "BerthCapabilities",
                "BerthSeccomp", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BerthDaemonTests",
            dependencies: [
                "BerthDaemon", "BerthAPI", "BerthRuntime", "BerthShimProto", "BerthSystem", "BerthTTRPC",
                "BerthTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BerthMetadataTests",
            dependencies: [
                "BerthMetadata", "BerthContent", "BerthGC", "BerthOCI", "BerthSystem", "BerthTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BerthContentTests",
            dependencies: [
                "BerthContent", "BerthMetadata", "BerthOCI", "BerthSystem", "BerthTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// MARK: fuzzing
//
// libFuzzer targets, declared only when BERTH_FUZZ=1 (hack/fuzz.sh sets it
// and builds them in their own scratch path, .build-fuzz), so the normal
// build never sees them. Berth's library targets are then compiled with
// coverage instrumentation and AddressSanitizer; dependencies are not.
// Each target's main.swift hands its LLVMFuzzerTestOneInput to libFuzzer's
// driver. docs/RELIABILITY.md lists the targets.
if Context.environment["BERTH_FUZZ"] == "1" {
    let sanitize: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]
    for target in package.targets where target.type == .regular && target.name.hasPrefix("Berth") {
        target.swiftSettings = (target.swiftSettings ?? []) + sanitize
    }
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("fuzz-oci", ["BerthOCI"]),
        ("fuzz-tar", ["BerthArchive"]),
        (
            "fuzz-unpack",
            ["BerthUnpack", "BerthArchive", "BerthSnapshots", .product(name: "Logging", package: "swift-log")]
        ),
        // The reference parser is compiled in from BerthRegistry's sources
        // (symlinks), so this target does not drag in AsyncHTTPClient.
        ("fuzz-reference", ["BerthOCI", "BerthErrors"]),
        ("fuzz-filter", ["BerthMetadata"]),
        ("fuzz-ttrpc", ["BerthTTRPC"]),
    ]
    package.targets.append(.target(name: "CBerthFuzz", path: "hack/fuzz/targets/CBerthFuzz"))
    for fuzz in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: fuzz.name,
                dependencies: ["CBerthFuzz"] + fuzz.dependencies,
                path: "hack/fuzz/targets/\(fuzz.name)",
                swiftSettings: swiftSettings + sanitize,
                linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
            ))
    }
}
