import BerthAPI
import BerthContent
import BerthErrors
import BerthMetadata
import BerthOCI
import GRPCCore
import SwiftProtobuf

/// `containerd.services.content.v1.Content` over BerthContent's
/// ``ContentStore``: namespaced records over one blob store. Read and List
/// stream; Write (bidirectional) is in `ContentService+Write.swift`.
public struct ContentService: Containerd_Services_Content_V1_Content.ServiceProtocol {
    let store: ContentStore
    let exchange: EventExchange

    /// Largest data chunk per Read response.
    static let readChunk = 1 << 20
    /// Infos per List response (the real server batches by 100).
    static let listBatch = 100

    /// A service over `store`, publishing `/content/delete` on `exchange`.
    public init(store: ContentStore, exchange: EventExchange) {
        self.store = store
        self.exchange = exchange
    }

    public func info(
        request: ServerRequest<Containerd_Services_Content_V1_InfoRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Content_V1_InfoResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let digest = try Digest(parsing: request.message.digest)
            var response = Containerd_Services_Content_V1_InfoResponse()
            response.info = Self.proto(try store.info(digest, namespace: namespace))
            return ServerResponse(message: response)
        }
    }

    public func update(
        request: ServerRequest<Containerd_Services_Content_V1_UpdateRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Content_V1_UpdateResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let proto = request.message.info
            let info = ContentInfo(digest: try Digest(parsing: proto.digest), size: proto.size, labels: proto.labels)
            let updated = try store.update(info, fieldPaths: request.message.updateMask.paths, namespace: namespace)
            var response = Containerd_Services_Content_V1_UpdateResponse()
            response.info = Self.proto(updated)
            return ServerResponse(message: response)
        }
    }

    public func list(
        request: ServerRequest<Containerd_Services_Content_V1_ListContentRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Containerd_Services_Content_V1_ListContentResponse> {
        let infos = try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            return try store.list(filters: request.message.filters, namespace: namespace).map(Self.listProto)
        }
        return StreamingServerResponse { writer in
            var start = 0
            while start < infos.count {
                var batch = Containerd_Services_Content_V1_ListContentResponse()
                batch.info = Array(infos[start..<min(start + Self.listBatch, infos.count)])
                try await writer.write(batch)
                start += Self.listBatch
            }
            return [:]
        }
    }

    public func delete(
        request: ServerRequest<Containerd_Services_Content_V1_DeleteContentRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let digest = try Digest(parsing: request.message.digest)
            try store.delete(digest, namespace: namespace)
            var event = Containerd_Events_ContentDelete()
            event.digest = digest.string
            exchange.publishQuietly(namespace: namespace, topic: "/content/delete", event: event)
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    public func read(
        request: ServerRequest<Containerd_Services_Content_V1_ReadContentRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Containerd_Services_Content_V1_ReadContentResponse> {
        let (reader, offset, end) = try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let digest = try Digest(parsing: request.message.digest)
            let reader = try store.reader(digest, namespace: namespace)
            let offset = request.message.offset
            guard offset >= 0, offset <= reader.size else {
                throw DaemonError(
                    .outOfRange, "read offset \(offset) is past the end of \(digest) (\(reader.size) bytes)")
            }
            let size = request.message.size
            let end = size <= 0 || offset + size > reader.size ? reader.size : offset + size
            return (reader, offset, end)
        }
        return StreamingServerResponse { writer in
            var position = offset
            while position < end {
                let count = Int(min(Int64(Self.readChunk), end - position))
                let data = try await rpc { try reader.read(at: position, count: count) }
                guard !data.isEmpty else { break }
                var response = Containerd_Services_Content_V1_ReadContentResponse()
                response.offset = position
                response.data = .init(data)
                try await writer.write(response)
                position += Int64(data.count)
            }
            return [:]
        }
    }

    public func status(
        request: ServerRequest<Containerd_Services_Content_V1_StatusRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Content_V1_StatusResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            var response = Containerd_Services_Content_V1_StatusResponse()
            response.status = Self.proto(try store.status(ref: request.message.ref, namespace: namespace))
            return ServerResponse(message: response)
        }
    }

    public func listStatuses(
        request: ServerRequest<Containerd_Services_Content_V1_ListStatusesRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Content_V1_ListStatusesResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            var response = Containerd_Services_Content_V1_ListStatusesResponse()
            response.statuses = try store.listStatuses(filters: request.message.filters, namespace: namespace)
                .map(Self.proto)
            return ServerResponse(message: response)
        }
    }

    public func abort(
        request: ServerRequest<Containerd_Services_Content_V1_AbortRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            try store.abort(ref: request.message.ref, namespace: namespace)
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    static func proto(_ info: ContentInfo) -> Containerd_Services_Content_V1_Info {
        var proto = Containerd_Services_Content_V1_Info()
        proto.digest = info.digest.string
        proto.size = info.size
        proto.createdAt = Google_Protobuf_Timestamp(info.createdAt)
        proto.updatedAt = Google_Protobuf_Timestamp(info.updatedAt)
        proto.labels = info.labels
        return proto
    }

    /// List fills only digest, size, created_at and labels, as containerd.
    static func listProto(_ info: ContentInfo) -> Containerd_Services_Content_V1_Info {
        var proto = proto(info)
        proto.clearUpdatedAt()
        return proto
    }

    static func proto(_ status: IngestStatus) -> Containerd_Services_Content_V1_Status {
        var proto = Containerd_Services_Content_V1_Status()
        proto.ref = status.ref
        proto.offset = status.offset
        proto.total = status.total
        proto.expected = status.expected?.string ?? ""
        proto.startedAt = Google_Protobuf_Timestamp(status.startedAt)
        proto.updatedAt = Google_Protobuf_Timestamp(status.updatedAt)
        return proto
    }
}
