import BerthAPI
import BerthMetadata
import BerthShimProto
import BerthSnapshots
import GRPCCore
import SwiftProtobuf

/// `containerd.services.snapshots.v1.Snapshots` over BerthSnapshots'
/// snapshotters, chosen per request by name (`overlayfs`, `native`).
/// Publishes `/snapshot/prepare|commit|remove`. Snapshots made under a
/// `containerd-lease` header are attached to that lease
/// (`SnapshotsService+Leases.swift`).
public struct SnapshotsService: Containerd_Services_Snapshots_V1_Snapshots.ServiceProtocol {
    let snapshotters: [String: any Snapshotter]
    let leases: LeaseStore
    let exchange: EventExchange

    /// Infos per List response.
    static let listBatch = 100

    /// A service over `snapshotters` (keyed by name), attaching leased
    /// snapshots to leases in `leases`.
    public init(snapshotters: [String: any Snapshotter], leases: LeaseStore, exchange: EventExchange) {
        self.snapshotters = snapshotters
        self.leases = leases
        self.exchange = exchange
    }

    /// The named snapshotter; InvalidArgument as containerd for others.
    func snapshotter(_ name: String) throws(DaemonError) -> any Snapshotter {
        guard let snapshotter = snapshotters[name] else {
            throw .invalidArgument("snapshotter not loaded: \(name)")
        }
        return snapshotter
    }

    public func prepare(
        request: ServerRequest<Containerd_Services_Snapshots_V1_PrepareSnapshotRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Snapshots_V1_PrepareSnapshotResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let message = request.message
            let snapshotter = try snapshotter(message.snapshotter)
            let mounts = try leased(
                request.metadata, namespace: namespace, snapshotter: message.snapshotter, key: message.key
            ) {
                try snapshotter.prepare(
                    key: message.key, parent: message.parent.isEmpty ? nil : message.parent, labels: message.labels,
                    namespace: namespace)
            }
            var event = Containerd_Events_SnapshotPrepare()
            event.key = message.key
            event.parent = message.parent
            exchange.publishQuietly(namespace: namespace, topic: "/snapshot/prepare", event: event)
            var response = Containerd_Services_Snapshots_V1_PrepareSnapshotResponse()
            response.mounts = mounts.map(Containerd_Types_Mount.init)
            return ServerResponse(message: response)
        }
    }

    public func view(
        request: ServerRequest<Containerd_Services_Snapshots_V1_ViewSnapshotRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Snapshots_V1_ViewSnapshotResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let message = request.message
            let snapshotter = try snapshotter(message.snapshotter)
            let mounts = try leased(
                request.metadata, namespace: namespace, snapshotter: message.snapshotter, key: message.key
            ) {
                try snapshotter.view(
                    key: message.key, parent: message.parent.isEmpty ? nil : message.parent, labels: message.labels,
                    namespace: namespace)
            }
            var response = Containerd_Services_Snapshots_V1_ViewSnapshotResponse()
            response.mounts = mounts.map(Containerd_Types_Mount.init)
            return ServerResponse(message: response)
        }
    }

    public func mounts(
        request: ServerRequest<Containerd_Services_Snapshots_V1_MountsRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Snapshots_V1_MountsResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let mounts = try snapshotter(request.message.snapshotter).mounts(
                key: request.message.key, namespace: namespace)
            var response = Containerd_Services_Snapshots_V1_MountsResponse()
            response.mounts = mounts.map(Containerd_Types_Mount.init)
            return ServerResponse(message: response)
        }
    }

    public func commit(
        request: ServerRequest<Containerd_Services_Snapshots_V1_CommitSnapshotRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let message = request.message
            let snapshotter = try snapshotter(message.snapshotter)
            try leased(request.metadata, namespace: namespace, snapshotter: message.snapshotter, key: message.name) {
                try snapshotter.commit(
                    name: message.name, key: message.key, labels: message.labels, namespace: namespace)
            }
            try unlease(request.metadata, namespace: namespace, snapshotter: message.snapshotter, key: message.key)
            var event = Containerd_Events_SnapshotCommit()
            event.key = message.key
            event.name = message.name
            exchange.publishQuietly(namespace: namespace, topic: "/snapshot/commit", event: event)
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    public func remove(
        request: ServerRequest<Containerd_Services_Snapshots_V1_RemoveSnapshotRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            try snapshotter(request.message.snapshotter).remove(key: request.message.key, namespace: namespace)
            try unlease(
                request.metadata, namespace: namespace, snapshotter: request.message.snapshotter,
                key: request.message.key)
            var event = Containerd_Events_SnapshotRemove()
            event.key = request.message.key
            exchange.publishQuietly(namespace: namespace, topic: "/snapshot/remove", event: event)
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    public func stat(
        request: ServerRequest<Containerd_Services_Snapshots_V1_StatSnapshotRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Snapshots_V1_StatSnapshotResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let info = try snapshotter(request.message.snapshotter).stat(key: request.message.key, namespace: namespace)
            var response = Containerd_Services_Snapshots_V1_StatSnapshotResponse()
            response.info = Self.proto(info)
            return ServerResponse(message: response)
        }
    }

    public func update(
        request: ServerRequest<Containerd_Services_Snapshots_V1_UpdateSnapshotRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Snapshots_V1_UpdateSnapshotResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let snapshotter = try snapshotter(request.message.snapshotter)
            var info = try snapshotter.stat(key: request.message.info.name, namespace: namespace)
            info.labels = request.message.info.labels
            let updated = try snapshotter.update(
                info, fieldPaths: request.message.updateMask.paths, namespace: namespace)
            var response = Containerd_Services_Snapshots_V1_UpdateSnapshotResponse()
            response.info = Self.proto(updated)
            return ServerResponse(message: response)
        }
    }

    public func list(
        request: ServerRequest<Containerd_Services_Snapshots_V1_ListSnapshotsRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Containerd_Services_Snapshots_V1_ListSnapshotsResponse> {
        let infos = try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            return try snapshotter(request.message.snapshotter)
                .list(filters: request.message.filters, namespace: namespace).map(Self.proto)
        }
        return StreamingServerResponse { writer in
            var start = 0
            while start < infos.count {
                var batch = Containerd_Services_Snapshots_V1_ListSnapshotsResponse()
                batch.info = Array(infos[start..<min(start + Self.listBatch, infos.count)])
                try await writer.write(batch)
                start += Self.listBatch
            }
            return [:]
        }
    }

    public func usage(
        request: ServerRequest<Containerd_Services_Snapshots_V1_UsageRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Snapshots_V1_UsageResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let usage = try snapshotter(request.message.snapshotter).usage(
                key: request.message.key, namespace: namespace)
            var response = Containerd_Services_Snapshots_V1_UsageResponse()
            response.size = usage.size
            response.inodes = usage.inodes
            return ServerResponse(message: response)
        }
    }

    public func cleanup(
        request: ServerRequest<Containerd_Services_Snapshots_V1_CleanupRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            try snapshotter(request.message.snapshotter).cleanup()
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    static func proto(_ info: SnapshotInfo) -> Containerd_Services_Snapshots_V1_Info {
        var proto = Containerd_Services_Snapshots_V1_Info()
        proto.name = info.name
        proto.parent = info.parent ?? ""
        proto.kind = Containerd_Services_Snapshots_V1_Kind(rawValue: info.kind.rawValue) ?? .unknown
        proto.createdAt = Google_Protobuf_Timestamp(info.createdAt)
        proto.updatedAt = Google_Protobuf_Timestamp(info.updatedAt)
        proto.labels = info.labels
        return proto
    }
}

extension Containerd_Types_Mount {
    /// The wire form of a snapshot mount.
    init(_ mount: BerthSnapshots.Mount) {
        self.init()
        type = mount.type
        source = mount.source
        target = mount.target
        options = mount.options
    }

    /// The snapshot-module form of a wire mount.
    var snapshotMount: BerthSnapshots.Mount {
        BerthSnapshots.Mount(type: type, source: source, target: target, options: options)
    }
}
