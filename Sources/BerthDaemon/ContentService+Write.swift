import BerthAPI
import BerthContent
import BerthMetadata
import BerthOCI
import Foundation
import GRPCCore
import SwiftProtobuf

extension ContentService {
    public typealias WriteRequest = Containerd_Services_Content_V1_WriteContentRequest
    public typealias WriteResponse = Containerd_Services_Content_V1_WriteContentResponse

    /// One ingest per stream, as containerd's content server: the first
    /// message names the ref (and may carry `total`/`expected`); STAT
    /// reports, WRITE appends at `offset` (0 restarts, anything else must
    /// match), COMMIT verifies and publishes and ends the stream. Each
    /// response carries the offset and the running digest.
    public func write(
        request: StreamingServerRequest<WriteRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<WriteResponse> {
        let namespace = try await rpc { try request.metadata.requiredNamespace() }
        let lease = request.metadata.lease
        return StreamingServerResponse { responses in
            var ingest: ContentWriter?
            defer { ingest?.close() }
            for try await message in request.messages {
                let writer: ContentWriter
                if let ingest {
                    writer = ingest
                } else {
                    writer = try await rpc { try open(message, namespace: namespace, lease: lease) }
                    ingest = writer
                }
                let (response, done) = try await rpc { try handle(message, writer) }
                try await responses.write(response)
                if done { break }
            }
            return [:]
        }
    }

    private func open(_ first: WriteRequest, namespace: String, lease: String?) throws -> ContentWriter {
        guard !first.ref.isEmpty else {
            throw DaemonError.invalidArgument("first message must have a reference")
        }
        let expected = first.expected.isEmpty ? nil : try Digest(parsing: first.expected)
        return try store.writer(
            ref: first.ref, total: first.total > 0 ? first.total : nil, expected: expected,
            namespace: namespace, lease: lease)
    }

    /// Applies one message; returns the response and whether the stream is done.
    private func handle(_ message: WriteRequest, _ writer: ContentWriter) throws -> (WriteResponse, Bool) {
        if !message.ref.isEmpty, message.ref != writer.ref {
            throw DaemonError.invalidArgument("ref \(message.ref) does not match the stream's ref \(writer.ref)")
        }
        if message.total > 0 { try writer.setTotal(message.total) }
        var response = WriteResponse()
        response.action = message.action
        switch message.action {
        case .stat:
            break
        case .write, .commit:
            if !message.data.isEmpty {
                try message.data.withUnsafeBytes { try writer.write($0, at: message.offset) }
            }
            if message.action == .commit {
                let expected = message.expected.isEmpty ? nil : try Digest(parsing: message.expected)
                let info = try writer.commit(size: message.total, expected: expected, labels: message.labels)
                response.offset = info.size
                response.total = info.size
                response.digest = info.digest.string
                response.startedAt = Google_Protobuf_Timestamp(writer.startedAt)
                response.updatedAt = Google_Protobuf_Timestamp(info.updatedAt)
                return (response, true)
            }
        case .UNRECOGNIZED(let value):
            throw DaemonError.invalidArgument("unknown write action \(value)")
        }
        let status = writer.status
        response.offset = status.offset
        response.total = status.total
        response.digest = writer.digest.string
        response.startedAt = Google_Protobuf_Timestamp(status.startedAt)
        response.updatedAt = Google_Protobuf_Timestamp(status.updatedAt)
        return (response, false)
    }
}
