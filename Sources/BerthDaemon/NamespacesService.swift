import BerthAPI
import BerthMetadata
import BerthSnapshots
import GRPCCore
import SwiftProtobuf

/// `containerd.services.namespaces.v1.Namespaces` over BerthMetadata's
/// ``NamespaceStore``. Like containerd, Get never fails with NotFound, and
/// the service is not namespaced (the header is ignored).
public struct NamespacesService: Containerd_Services_Namespaces_V1_Namespaces.ServiceProtocol {
    typealias Proto = Containerd_Services_Namespaces_V1_Namespace

    let store: NamespaceStore
    let exchange: EventExchange
    let snapshotters: [any Snapshotter]

    /// A service over `store`, publishing `/namespaces/*` events on
    /// `exchange`; Delete also refuses while any of `snapshotters` holds
    /// snapshots in the namespace.
    public init(store: NamespaceStore, exchange: EventExchange, snapshotters: [any Snapshotter] = []) {
        self.store = store
        self.exchange = exchange
        self.snapshotters = snapshotters
    }

    public func get(
        request: ServerRequest<Containerd_Services_Namespaces_V1_GetNamespaceRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Namespaces_V1_GetNamespaceResponse> {
        try await rpc {
            var response = Containerd_Services_Namespaces_V1_GetNamespaceResponse()
            response.namespace = Self.proto(try store.get(request.message.name))
            return ServerResponse(message: response)
        }
    }

    public func list(
        request: ServerRequest<Containerd_Services_Namespaces_V1_ListNamespacesRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Namespaces_V1_ListNamespacesResponse> {
        try await rpc {
            var response = Containerd_Services_Namespaces_V1_ListNamespacesResponse()
            response.namespaces = try store.list().sorted {
                Array($0.name.utf8).lexicographicallyPrecedes($1.name.utf8)
            }
            .map(Self.proto)
            return ServerResponse(message: response)
        }
    }

    public func create(
        request: ServerRequest<Containerd_Services_Namespaces_V1_CreateNamespaceRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Namespaces_V1_CreateNamespaceResponse> {
        try await rpc {
            let namespace = request.message.namespace
            try store.create(Namespace(name: namespace.name, labels: namespace.labels))
            var event = Containerd_Events_NamespaceCreate()
            event.name = namespace.name
            event.labels = namespace.labels
            exchange.publishQuietly(namespace: namespace.name, topic: "/namespaces/create", event: event)
            var response = Containerd_Services_Namespaces_V1_CreateNamespaceResponse()
            response.namespace = namespace
            return ServerResponse(message: response)
        }
    }

    public func update(
        request: ServerRequest<Containerd_Services_Namespaces_V1_UpdateNamespaceRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Namespaces_V1_UpdateNamespaceResponse> {
        try await rpc {
            let namespace = request.message.namespace
            let updated = try store.update(
                Namespace(name: namespace.name, labels: namespace.labels),
                fieldPaths: request.message.updateMask.paths)
            var event = Containerd_Events_NamespaceUpdate()
            event.name = updated.name
            event.labels = updated.labels
            exchange.publishQuietly(namespace: updated.name, topic: "/namespaces/update", event: event)
            var response = Containerd_Services_Namespaces_V1_UpdateNamespaceResponse()
            response.namespace = Self.proto(updated)
            return ServerResponse(message: response)
        }
    }

    public func delete(
        request: ServerRequest<Containerd_Services_Namespaces_V1_DeleteNamespaceRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let name = request.message.name
            for snapshotter in snapshotters where try !snapshotter.list(namespace: name).isEmpty {
                throw DaemonError.failedPrecondition(
                    "namespace \(name) must be empty, but it still has snapshots on \"\(snapshotter.name)\" snapshotter"
                )
            }
            try store.delete(name)
            var event = Containerd_Events_NamespaceDelete()
            event.name = name
            exchange.publishQuietly(namespace: name, topic: "/namespaces/delete", event: event)
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    static func proto(_ namespace: Namespace) -> Proto {
        var proto = Proto()
        proto.name = namespace.name
        proto.labels = namespace.labels
        return proto
    }
}
