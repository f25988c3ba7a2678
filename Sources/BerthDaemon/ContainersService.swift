import BerthAPI
import BerthMetadata
import Foundation
import GRPCCore
import SwiftProtobuf

/// `containerd.services.containers.v1.Containers` over BerthMetadata's
/// ``ContainerStore``. Spec and runtime options are stored byte for byte;
/// Delete does not look for a task (clients check, as with containerd).
public struct ContainersService: Containerd_Services_Containers_V1_Containers.ServiceProtocol {
    typealias Proto = Containerd_Services_Containers_V1_Container

    let store: ContainerStore
    let exchange: EventExchange

    /// A service over `store`, publishing `/containers/*` on `exchange`.
    public init(store: ContainerStore, exchange: EventExchange) {
        self.store = store
        self.exchange = exchange
    }

    public func get(
        request: ServerRequest<Containerd_Services_Containers_V1_GetContainerRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Containers_V1_GetContainerResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            var response = Containerd_Services_Containers_V1_GetContainerResponse()
            response.container = Self.proto(try store.get(namespace: namespace, id: request.message.id))
            return ServerResponse(message: response)
        }
    }

    public func list(
        request: ServerRequest<Containerd_Services_Containers_V1_ListContainersRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Containers_V1_ListContainersResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            var response = Containerd_Services_Containers_V1_ListContainersResponse()
            response.containers = try store.list(namespace: namespace, filters: request.message.filters).map(Self.proto)
            return ServerResponse(message: response)
        }
    }

    public func listStream(
        request: ServerRequest<Containerd_Services_Containers_V1_ListContainersRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Containerd_Services_Containers_V1_ListContainerMessage> {
        let containers = try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            return try store.list(namespace: namespace, filters: request.message.filters).map(Self.proto)
        }
        return StreamingServerResponse { writer in
            for container in containers {
                var message = Containerd_Services_Containers_V1_ListContainerMessage()
                message.container = container
                try await writer.write(message)
            }
            return [:]
        }
    }

    public func create(
        request: ServerRequest<Containerd_Services_Containers_V1_CreateContainerRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Containers_V1_CreateContainerResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let created = try store.create(namespace: namespace, Self.record(request.message.container))
            var event = Containerd_Events_ContainerCreate()
            event.id = created.id
            event.image = created.image
            event.runtime.name = created.runtime.name
            if let options = created.runtime.options { event.runtime.options = Self.any(options) }
            exchange.publishQuietly(namespace: namespace, topic: "/containers/create", event: event)
            var response = Containerd_Services_Containers_V1_CreateContainerResponse()
            response.container = Self.proto(created)
            return ServerResponse(message: response)
        }
    }

    public func update(
        request: ServerRequest<Containerd_Services_Containers_V1_UpdateContainerRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Containers_V1_UpdateContainerResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let updated = try store.update(
                namespace: namespace, Self.record(request.message.container),
                fieldPaths: request.message.updateMask.paths)
            var event = Containerd_Events_ContainerUpdate()
            event.id = updated.id
            event.image = updated.image
            event.labels = updated.labels
            event.snapshotKey = updated.snapshotKey
            exchange.publishQuietly(namespace: namespace, topic: "/containers/update", event: event)
            var response = Containerd_Services_Containers_V1_UpdateContainerResponse()
            response.container = Self.proto(updated)
            return ServerResponse(message: response)
        }
    }

    public func delete(
        request: ServerRequest<Containerd_Services_Containers_V1_DeleteContainerRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            try store.delete(namespace: namespace, id: request.message.id)
            var event = Containerd_Events_ContainerDelete()
            event.id = request.message.id
            exchange.publishQuietly(namespace: namespace, topic: "/containers/delete", event: event)
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    static func proto(_ container: Container) -> Proto {
        var proto = Proto()
        proto.id = container.id
        proto.labels = container.labels
        proto.image = container.image
        proto.runtime.name = container.runtime.name
        if let options = container.runtime.options { proto.runtime.options = any(options) }
        if let spec = container.spec { proto.spec = any(spec) }
        proto.snapshotter = container.snapshotter
        proto.snapshotKey = container.snapshotKey
        proto.createdAt = Google_Protobuf_Timestamp(container.createdAt)
        proto.updatedAt = Google_Protobuf_Timestamp(container.updatedAt)
        proto.extensions = container.extensions.mapValues(any)
        return proto
    }

    static func record(_ proto: Proto) -> Container {
        Container(
            id: proto.id, labels: proto.labels, image: proto.image,
            runtime: Container.Runtime(
                name: proto.runtime.name, options: proto.runtime.hasOptions ? typed(proto.runtime.options) : nil),
            spec: proto.hasSpec ? typed(proto.spec) : nil, snapshotter: proto.snapshotter,
            snapshotKey: proto.snapshotKey, extensions: proto.extensions.mapValues(typed))
    }

    static func any(_ value: TypedValue) -> Google_Protobuf_Any {
        var any = Google_Protobuf_Any()
        any.typeURL = value.typeURL
        any.value = Data(value.value)
        return any
    }

    static func typed(_ any: Google_Protobuf_Any) -> TypedValue {
        TypedValue(typeURL: any.typeURL, value: Array(any.value))
    }
}
