import BerthShimProto
import BerthTTRPC
import SwiftProtobuf

/// Typed calls to one shim's `containerd.task.v2.Task` service (and Berth's
/// `berth.shim.v1.Journal` extension), in one containerd namespace.
public struct ShimClient: Sendable {
    /// The connection the calls go over.
    public let connection: ShimConnection
    /// The namespace sent as `containerd-namespace-ttrpc` metadata.
    public let namespace: String

    /// How long a call may take, by kind. Wait has no limit.
    public enum Timeout {
        /// Create, Start, Delete, Exec, Kill, Update: executor commands
        /// (runsc takes seconds).
        public static let executor: Int64 = 60_000
        /// State, Connect, Pids, Stats and other quick queries.
        public static let query: Int64 = 10_000
    }

    /// A client over `connection` for `namespace`.
    public init(connection: ShimConnection, namespace: String) {
        self.connection = connection
        self.namespace = namespace
    }

    /// Calls a Task method.
    public func call<Response: Message>(
        _ method: TaskService.Method,
        _ request: some Message,
        as response: Response.Type = Response.self,
        timeoutMilliseconds: Int64 = Timeout.executor
    ) async throws(RuntimeError) -> Response {
        try await call(
            service: TaskService.name, method: method.rawValue, request, as: response,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Calls a Journal method.
    public func call<Response: Message>(
        _ method: JournalService.Method,
        _ request: some Message,
        as response: Response.Type = Response.self
    ) async throws(RuntimeError) -> Response {
        try await call(
            service: JournalService.name, method: method.rawValue, request, as: response,
            timeoutMilliseconds: Timeout.query)
    }

    private func call<Response: Message>(
        service: String,
        method: String,
        _ request: some Message,
        as: Response.Type,
        timeoutMilliseconds: Int64
    ) async throws(RuntimeError) -> Response {
        let payload: [UInt8]
        do {
            payload = try request.serializedBytes()
        } catch {
            throw .internal("encode \(method) request: \(error)")
        }
        let bytes: [UInt8]
        do {
            bytes = try await connection.call(
                service: service, method: method, payload: payload,
                metadata: [(TTRPCRequest.namespaceMetadataKey, namespace)],
                timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw RuntimeError(error.code, error.message)
        }
        do {
            return try Response(serializedBytes: bytes)
        } catch {
            throw .internal("decode \(method) response from shim: \(error)")
        }
    }
}

extension ShimClient {
    /// `State` of the init (`execID` empty) or an exec.
    public func state(id: String, execID: String = "") async throws(RuntimeError) -> Containerd_Task_V2_StateResponse {
        var request = Containerd_Task_V2_StateRequest()
        request.id = id
        request.execID = execID
        return try await call(.state, request, timeoutMilliseconds: Timeout.query)
    }

    /// `Connect`: the shim's and the task's pids; the liveness check.
    public func connect(id: String) async throws(RuntimeError) -> Containerd_Task_V2_ConnectResponse {
        var request = Containerd_Task_V2_ConnectRequest()
        request.id = id
        return try await call(.connect, request, timeoutMilliseconds: Timeout.query)
    }

    /// `Shutdown`: the shim exits once its task is deleted. A closed
    /// connection is the expected answer and not an error.
    public func shutdown(id: String, now: Bool = false) async {
        var request = Containerd_Task_V2_ShutdownRequest()
        request.id = id
        request.now = now
        _ = try? await call(.shutdown, request, as: Google_Protobuf_Empty.self, timeoutMilliseconds: Timeout.query)
    }
}
