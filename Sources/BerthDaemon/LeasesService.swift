import BerthAPI
import BerthMetadata
import GRPCCore
import SwiftProtobuf

/// `containerd.services.leases.v1.Leases` over BerthMetadata's ``LeaseStore``.
/// Create echoes the id (the client uses the returned one in the
/// `containerd-lease` header).
public struct LeasesService: Containerd_Services_Leases_V1_Leases.ServiceProtocol {
    let store: LeaseStore
    /// Runs a synchronous garbage collection (`Delete{sync: true}`); nil
    /// until the collector is wired.
    let collect: (@Sendable () throws -> Void)?

    /// A service over `store`; `collect` runs a GC for `sync` deletes.
    public init(store: LeaseStore, collect: (@Sendable () throws -> Void)? = nil) {
        self.store = store
        self.collect = collect
    }

    public func create(
        request: ServerRequest<Containerd_Services_Leases_V1_CreateRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Leases_V1_CreateResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let lease = try store.create(namespace: namespace, id: request.message.id, labels: request.message.labels)
            var response = Containerd_Services_Leases_V1_CreateResponse()
            response.lease = Self.proto(lease)
            return ServerResponse(message: response)
        }
    }

    public func delete(
        request: ServerRequest<Containerd_Services_Leases_V1_DeleteRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            try store.delete(namespace: namespace, id: request.message.id)
            if request.message.sync, let collect { try collect() }
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    public func list(
        request: ServerRequest<Containerd_Services_Leases_V1_ListRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Leases_V1_ListResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            var response = Containerd_Services_Leases_V1_ListResponse()
            response.leases = try store.list(namespace: namespace, filters: request.message.filters).map(Self.proto)
            return ServerResponse(message: response)
        }
    }

    public func addResource(
        request: ServerRequest<Containerd_Services_Leases_V1_AddResourceRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            try store.addResource(
                namespace: namespace, lease: request.message.id, Self.resource(request.message.resource))
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    public func deleteResource(
        request: ServerRequest<Containerd_Services_Leases_V1_DeleteResourceRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            try store.deleteResource(
                namespace: namespace, lease: request.message.id, Self.resource(request.message.resource))
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    public func listResources(
        request: ServerRequest<Containerd_Services_Leases_V1_ListResourcesRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Leases_V1_ListResourcesResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            var response = Containerd_Services_Leases_V1_ListResourcesResponse()
            response.resources = try store.listResources(namespace: namespace, lease: request.message.id).map {
                var resource = Containerd_Services_Leases_V1_Resource()
                resource.id = $0.id
                resource.type = $0.type
                return resource
            }
            return ServerResponse(message: response)
        }
    }

    static func resource(_ proto: Containerd_Services_Leases_V1_Resource) -> LeaseResource {
        LeaseResource(id: proto.id, type: proto.type)
    }

    static func proto(_ lease: Lease) -> Containerd_Services_Leases_V1_Lease {
        var proto = Containerd_Services_Leases_V1_Lease()
        proto.id = lease.id
        proto.createdAt = Google_Protobuf_Timestamp(lease.createdAt)
        proto.labels = lease.labels
        return proto
    }
}
