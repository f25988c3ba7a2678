import BerthAPI
import BerthMetadata
import BerthOCI
import GRPCCore
import SwiftProtobuf

/// `containerd.services.images.v1.Images` over BerthMetadata's ``ImageStore``,
/// publishing `/images/*` events (type `containerd.services.images.v1.Image*`).
public struct ImagesService: Containerd_Services_Images_V1_Images.ServiceProtocol {
    let store: ImageStore
    let exchange: EventExchange
    /// Runs a synchronous garbage collection (`Delete{sync: true}`).
    let collect: (@Sendable () throws -> Void)?

    /// A service over `store`; `collect` runs a GC for `sync` deletes.
    public init(store: ImageStore, exchange: EventExchange, collect: (@Sendable () throws -> Void)? = nil) {
        self.store = store
        self.exchange = exchange
        self.collect = collect
    }

    public func get(
        request: ServerRequest<Containerd_Services_Images_V1_GetImageRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Images_V1_GetImageResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            var response = Containerd_Services_Images_V1_GetImageResponse()
            response.image = Self.proto(try store.get(namespace: namespace, name: request.message.name))
            return ServerResponse(message: response)
        }
    }

    public func list(
        request: ServerRequest<Containerd_Services_Images_V1_ListImagesRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Images_V1_ListImagesResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            var response = Containerd_Services_Images_V1_ListImagesResponse()
            response.images = try store.list(namespace: namespace, filters: request.message.filters).map(Self.proto)
            return ServerResponse(message: response)
        }
    }

    public func create(
        request: ServerRequest<Containerd_Services_Images_V1_CreateImageRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Images_V1_CreateImageResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let created = try store.create(namespace: namespace, try Self.image(request.message.image))
            var event = Containerd_Services_Images_V1_ImageCreate()
            event.name = created.name
            event.labels = created.labels
            exchange.publishQuietly(namespace: namespace, topic: "/images/create", event: event)
            var response = Containerd_Services_Images_V1_CreateImageResponse()
            response.image = Self.proto(created)
            return ServerResponse(message: response)
        }
    }

    public func update(
        request: ServerRequest<Containerd_Services_Images_V1_UpdateImageRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Images_V1_UpdateImageResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let paths = request.message.updateMask.paths
            let updated = try store.update(
                namespace: namespace,
                try Self.image(request.message.image, lenient: !paths.isEmpty && !paths.contains("target")),
                fieldPaths: paths)
            var event = Containerd_Services_Images_V1_ImageUpdate()
            event.name = updated.name
            event.labels = updated.labels
            exchange.publishQuietly(namespace: namespace, topic: "/images/update", event: event)
            var response = Containerd_Services_Images_V1_UpdateImageResponse()
            response.image = Self.proto(updated)
            return ServerResponse(message: response)
        }
    }

    public func delete(
        request: ServerRequest<Containerd_Services_Images_V1_DeleteImageRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            try store.delete(namespace: namespace, name: request.message.name)
            var event = Containerd_Services_Images_V1_ImageDelete()
            event.name = request.message.name
            exchange.publishQuietly(namespace: namespace, topic: "/images/delete", event: event)
            if request.message.sync, let collect { try collect() }
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    /// The metadata image for a request. With `lenient`, a target that is
    /// not updated may be empty (its digest is then a placeholder the store
    /// never writes).
    static func image(
        _ proto: Containerd_Services_Images_V1_Image, lenient: Bool = false
    ) throws -> Image {
        let target: Descriptor
        if lenient, proto.target.digest.isEmpty {
            target = Descriptor(
                mediaType: MediaType(rawValue: proto.target.mediaType),
                digest: try Digest(algorithm: .sha256, hashBytes: [UInt8](repeating: 0, count: 32)),
                size: proto.target.size,
                annotations: proto.target.annotations.isEmpty ? nil : proto.target.annotations)
        } else {
            do {
                target = try proto.target.oci()
            } catch {
                throw DaemonError.invalidArgument("image \"\(proto.name)\": target digest: \(error)")
            }
        }
        return Image(name: proto.name, target: target, labels: proto.labels)
    }

    static func proto(_ image: Image) -> Containerd_Services_Images_V1_Image {
        var proto = Containerd_Services_Images_V1_Image()
        proto.name = image.name
        proto.labels = image.labels
        proto.target = Containerd_Types_Descriptor(image.target)
        proto.createdAt = Google_Protobuf_Timestamp(image.createdAt)
        proto.updatedAt = Google_Protobuf_Timestamp(image.updatedAt)
        return proto
    }
}
