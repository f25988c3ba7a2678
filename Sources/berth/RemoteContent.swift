import BerthAPI
import BerthErrors
import BerthOCI
import BerthRegistry
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import SwiftProtobuf
import Synchronization

/// An error from berthd's content service, keeping the gRPC code as a Berth
/// `ErrorCode` (the archive code branches on `.alreadyExists` and `.notFound`).
struct RemoteContentError: BerthError {
    var code: ErrorCode
    var message: String

    init(_ error: any Error) {
        if let rpc = error as? RPCError {
            code = ErrorCode(grpcStatusCode: rpc.code.rawValue)
            message = rpc.message
        } else if let berth = error as? any BerthError {
            code = berth.code
            message = berth.message
        } else {
            code = .unknown
            message = "\(error)"
        }
    }

    /// Runs `body`, re-throwing any error as a `RemoteContentError`.
    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw RemoteContentError(error)
        }
    }
}

/// berthd's content store seen through `ContentAccess`, over the containerd
/// Content service, so the archive code in `BerthRegistry` runs client-side.
/// Writes go under `lease` (sent as the `containerd-lease` header).
struct RemoteContent: ContentAccess {
    typealias Client = Containerd_Services_Content_V1_Content.Client<HTTP2ClientTransport.Posix>

    let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    let metadata: Metadata

    /// Bytes per Write message.
    static let chunkSize = 1 << 20

    var client: Client { Client(wrapping: grpc) }

    func committedSize(of digest: Digest) async throws -> Int64? {
        do {
            return try await info(digest).size
        } catch let error as RemoteContentError where error.code == .notFound {
            return nil
        }
    }

    func openWriter(ref: String, total: Int64?, expected: Digest?) async throws -> any ContentIngest {
        try await RemoteContentError.mapping {
            try await RemoteIngest.open(grpc: grpc, metadata: metadata, ref: ref, total: total ?? 0, expected: expected)
        }
    }

    func readChunks(of digest: Digest, from offset: Int64) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        var request = Containerd_Services_Content_V1_ReadContentRequest()
        request.digest = digest.string
        request.offset = offset
        let grpc = self.grpc
        let metadata = self.metadata
        let message = request
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await Client(wrapping: grpc).read(message, metadata: metadata) { response in
                        for try await message in response.messages {
                            continuation.yield([UInt8](message.data))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: RemoteContentError(error))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func labels(of digest: Digest) async throws -> [String: String] {
        try await info(digest).labels
    }

    func addLabels(_ labels: [String: String], to digest: Digest) async throws {
        guard !labels.isEmpty else { return }
        var request = Containerd_Services_Content_V1_UpdateRequest()
        request.info.digest = digest.string
        request.info.labels = labels
        request.updateMask.paths = labels.keys.sorted().map { "labels.\($0)" }
        _ = try await RemoteContentError.mapping { try await client.update(request, metadata: metadata) }
    }

    private func info(_ digest: Digest) async throws -> Containerd_Services_Content_V1_Info {
        var request = Containerd_Services_Content_V1_InfoRequest()
        request.digest = digest.string
        return try await RemoteContentError.mapping { try await client.info(request, metadata: metadata).info }
    }
}

/// One Content.Write stream: each operation sends a request and waits for
/// its response.
final class RemoteIngest: ContentIngest, Sendable {
    typealias Request = Containerd_Services_Content_V1_WriteContentRequest
    typealias Response = Containerd_Services_Content_V1_WriteContentResponse

    private let ref: String
    private let requests: AsyncStream<Request>.Continuation
    private let responses: ResponseQueue
    private let call: Task<Void, Never>
    private let position: PositionBox

    private init(
        ref: String, requests: AsyncStream<Request>.Continuation, responses: ResponseQueue, call: Task<Void, Never>,
        offset: Int64
    ) {
        self.ref = ref
        self.requests = requests
        self.responses = responses
        self.call = call
        self.position = PositionBox(offset)
    }

    /// Opens the stream and sends the first STAT (which opens or resumes the ingest).
    static func open(
        grpc: GRPCClient<HTTP2ClientTransport.Posix>, metadata: Metadata, ref: String, total: Int64, expected: Digest?
    ) async throws -> RemoteIngest {
        let (requestStream, requestContinuation) = AsyncStream<Request>.makeStream()
        let reader = ResponseQueue()
        let call = Task {
            do {
                try await RemoteContent.Client(wrapping: grpc).write(
                    metadata: metadata,
                    requestProducer: { writer in
                        for await request in requestStream {
                            try await writer.write(request)
                        }
                    },
                    onResponse: { response in
                        for try await message in response.messages {
                            reader.push(message)
                        }
                    })
                reader.finish(nil)
            } catch {
                reader.finish(error)
            }
        }
        var stat = Request()
        stat.action = .stat
        stat.ref = ref
        stat.total = total
        stat.expected = expected?.string ?? ""
        requestContinuation.yield(stat)
        do {
            let status = try await reader.next()
            return RemoteIngest(
                ref: ref, requests: requestContinuation, responses: reader, call: call, offset: status.offset)
        } catch {
            requestContinuation.finish()
            call.cancel()
            throw error
        }
    }

    func currentOffset() async throws -> Int64 {
        position.value
    }

    func append(_ bytes: [UInt8]) async throws {
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + RemoteContent.chunkSize)
            var request = Request()
            request.action = .write
            request.ref = ref
            request.offset = position.value
            request.data = Data(bytes[start..<end])
            let response = try await send(request)
            position.value = response.offset
            start = end
        }
    }

    func restart() async throws {
        // A WRITE at offset 0 truncates the ingest.
        position.value = 0
    }

    func commit(size: Int64, expected: Digest, labels: [String: String]) async throws {
        var request = Request()
        request.action = .commit
        request.ref = ref
        request.offset = position.value
        request.total = size
        request.expected = expected.string
        request.labels = labels
        _ = try await send(request)
        await close()
    }

    func close() async {
        requests.finish()
        await call.value
    }

    private func send(_ request: Request) async throws -> Response {
        try await RemoteContentError.mapping {
            requests.yield(request)
            return try await responses.next()
        }
    }
}

/// The response side of a Write stream: messages in arrival order, then
/// the end of the stream.
private final class ResponseQueue: Sendable {
    private struct State {
        var buffered: [RemoteIngest.Response] = []
        var end: (any Error)?
        var waiter: CheckedContinuation<RemoteIngest.Response, any Error>?
    }

    private let state = Mutex(State())

    func push(_ response: RemoteIngest.Response) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.buffered.append(response)
                return nil as CheckedContinuation<RemoteIngest.Response, any Error>?
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: response)
    }

    /// The stream ended, with `error` or normally.
    func finish(_ error: (any Error)?) {
        let end = error ?? RPCError(code: .unavailable, message: "the write stream ended early")
        let waiter = state.withLock { state in
            state.end = end
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: end)
    }

    func next() async throws -> RemoteIngest.Response {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<RemoteIngest.Response, any Error>? = state.withLock { state in
                if !state.buffered.isEmpty { return .success(state.buffered.removeFirst()) }
                if let end = state.end { return .failure(end) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// The ingest's offset, shared between its operations.
private final class PositionBox: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Int64

    init(_ offset: Int64) {
        self.offset = offset
    }

    var value: Int64 {
        get { lock.withLock { offset } }
        set { lock.withLock { offset = newValue } }
    }
}
