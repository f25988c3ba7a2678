import BerthAPI
import BerthOCI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import SwiftProtobuf

/// An image record with what its content says: the manifest for this
/// host's platform, its config and the size of its blobs.
struct ImageDetails: Sendable {
    var record: Containerd_Services_Images_V1_Image
    /// The manifest chosen for this platform, if its content is present.
    var manifestDescriptor: Descriptor?
    var manifest: Manifest?
    var config: ImageConfig?

    var name: String { record.name }

    /// Config plus layers, compressed, as stored; nil if the manifest is missing.
    var size: Int64? {
        guard let manifest else { return nil }
        return manifest.layers.reduce(manifest.config.size) { $0 + $1.size }
    }

    /// `os/arch[/variant]` of the chosen manifest (or the config).
    var platform: String? {
        if let platform = manifestDescriptor?.platform { return platform.description }
        guard let config else { return nil }
        return config.variant.map { "\(config.os)/\(config.architecture)/\($0)" }
            ?? "\(config.os)/\(config.architecture)"
    }

    static func date(_ timestamp: SwiftProtobuf.Google_Protobuf_Timestamp) -> Date {
        Date(timeIntervalSince1970: Double(timestamp.seconds) + Double(timestamp.nanos) / 1e9)
    }
}

/// Image queries over one gRPC client in one namespace.
struct ImageQueries {
    let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    let metadata: Metadata

    /// The largest document read (manifests, indexes, configs).
    static let documentLimit = 8 << 20

    var images: Containerd_Services_Images_V1_Images.Client<HTTP2ClientTransport.Posix> {
        Containerd_Services_Images_V1_Images.Client(wrapping: grpc)
    }

    func list(filters: [String] = []) async throws -> [Containerd_Services_Images_V1_Image] {
        var request = Containerd_Services_Images_V1_ListImagesRequest()
        request.filters = filters
        return try await images.list(request, metadata: metadata).images
    }

    func get(_ name: String) async throws -> Containerd_Services_Images_V1_Image {
        var request = Containerd_Services_Images_V1_GetImageRequest()
        request.name = name
        return try await images.get(request, metadata: metadata).image
    }

    /// The record and, where the content is present, its manifest and config.
    func details(_ record: Containerd_Services_Images_V1_Image) async -> ImageDetails {
        var details = ImageDetails(record: record)
        guard let digest = Digest(record.target.digest) else { return details }
        var descriptor = Descriptor(
            mediaType: MediaType(rawValue: record.target.mediaType), digest: digest, size: record.target.size)
        // Follow indexes to the best match for this host.
        for _ in 0..<4 where descriptor.isIndex {
            guard let bytes = try? await read(descriptor.digest),
                let index = try? JSONDecoder().decode(Index.self, from: Data(bytes)),
                let best = PlatformMatcher.host.bestMatch(in: index.manifests)
            else { return details }
            descriptor = best
        }
        guard descriptor.isManifest, let bytes = try? await read(descriptor.digest),
            let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(bytes))
        else { return details }
        details.manifestDescriptor = descriptor
        details.manifest = manifest
        if let bytes = try? await read(manifest.config.digest) {
            details.config = try? JSONDecoder().decode(ImageConfig.self, from: Data(bytes))
        }
        return details
    }

    /// A whole blob through Content.Read (documents only: bounded).
    func read(_ digest: Digest) async throws -> [UInt8] {
        var request = Containerd_Services_Content_V1_ReadContentRequest()
        request.digest = digest.string
        let limit = Self.documentLimit
        return try await Containerd_Services_Content_V1_Content.Client(wrapping: grpc).read(
            request, metadata: metadata
        ) { response in
            var bytes: [UInt8] = []
            for try await message in response.messages {
                bytes += message.data
                guard bytes.count <= limit else { throw CLIError.local("blob \(digest) is over \(limit) bytes") }
            }
            return bytes
        }
    }
}
