// swift-tools-version: 6.1
//
// Code-generation tools for Berth, kept apart from the root manifest so that
// building Berth never builds a protoc plugin. hack/gen-proto.sh builds the
// two plugins from here (release, scratch path .build-protoc) and runs
// Debian's protoc with them. The swift-protobuf pin must match the root
// manifest's runtime pin exactly: generated code checks the runtime version.

import PackageDescription

let package = Package(
    name: "BerthProtocTools",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0", traits: []),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    ],
    targets: [
        // Keeps both dependencies in the graph so that `swift build --product
        // protoc-gen-swift` and `--product protoc-gen-grpc-swift-2` resolve.
        // Never built by gen-proto.sh.
        .target(
            name: "ProtocToolsAnchor",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            path: "Sources"
        )
    ]
)
