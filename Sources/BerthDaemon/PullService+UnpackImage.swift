import BerthAPI
import BerthContent
import BerthMetadata
import BerthOCI
import BerthRegistry
import BerthSnapshots
import Foundation
import GRPCCore
import Logging

extension PullService {
    /// Unpacks an image that is already in the content store (imported, or
    /// pulled without unpack), as Pull does after its download.
    public func unpack(
        request: ServerRequest<Berth_Services_Images_V1_UnpackRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Berth_Services_Images_V1_PullProgress> {
        let message = request.message
        let (namespace, platform, snapshotter) = try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            guard !message.name.isEmpty else { throw DaemonError.invalidArgument("name must be set") }
            return (
                namespace, try PullPlan.platform(message.platform),
                try PullPlan.snapshotter(message.snapshotter, stores: self.stores)
            )
        }
        let (stores, collect, logger) = (self.stores, self.collect, self.logger)
        return Self.streaming { emit in
            let tracker = PullProgressTracker(unpacking: true, emit: emit)
            let image = try stores.images.get(namespace: namespace, name: message.name)
            let (manifestDescriptor, manifest, config) = try Self.manifest(
                of: image, platform: platform, content: stores.content, namespace: namespace)
            tracker.unpacking(manifest.layers)
            let chainID = try await PullLease.run(
                stores: stores, namespace: namespace, collect: collect, logger: logger, what: "unpack \(image.name)"
            ) { lease in
                let unpack = StreamingUnpack(
                    snapshotter: snapshotter, content: stores.content.access(namespace: namespace, lease: lease),
                    leases: stores.leases, lease: lease, limits: stores.unpackLimits, logger: logger)
                return try await unpack.finish(manifest: manifest, config: config)
            }
            tracker.unpacked(manifest.layers)
            var result = Berth_Services_Images_V1_PullResult()
            result.name = image.name
            result.target = Containerd_Types_Descriptor(image.target)
            result.manifest = Containerd_Types_Descriptor(manifestDescriptor)
            result.config = Containerd_Types_Descriptor(manifest.config)
            result.snapshotter = snapshotter.name
            result.chainID = chainID.string
            logger.info(
                "unpacked", metadata: ["image": "\(image.name)", "namespace": "\(namespace)", "chain": "\(chainID)"])
            return result
        }
    }

    /// The manifest of `image` for `platform` (following indexes), and its config.
    ///
    /// - Throws: NotFound if the content or a matching manifest is missing.
    static func manifest(
        of image: Image, platform: PlatformMatcher, content: ContentStore, namespace: String
    ) throws -> (Descriptor, Manifest, ImageConfig?) {
        var descriptor = image.target
        for _ in 0..<4 where descriptor.isIndex {
            let index = try JSONDecoder().decode(
                Index.self, from: Data(try content.readBlob(descriptor.digest, namespace: namespace)))
            guard let best = platform.bestMatch(in: index.manifests) else {
                throw DaemonError.notFound(
                    "image \"\(image.name)\": no manifest for \(platform.platform) in \(descriptor.digest)")
            }
            descriptor = best
        }
        guard descriptor.isManifest else {
            throw DaemonError.failedPrecondition(
                "image \"\(image.name)\": \(descriptor.digest) is \(descriptor.mediaType), not a manifest")
        }
        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(try content.readBlob(descriptor.digest, namespace: namespace)))
        let config = try JSONDecoder().decode(
            ImageConfig.self, from: Data(try content.readBlob(manifest.config.digest, namespace: namespace)))
        return (descriptor, manifest, config)
    }
}
