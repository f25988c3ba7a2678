import BerthAPI
import BerthMetadata
import BerthRuntime
import BerthShimProto
import GRPCCore
import SwiftProtobuf

/// The pass-through calls: each resolves the container and its live task
/// and forwards to the shim, whose errors (codes and messages) reach the
/// client unchanged.
extension TasksService {
    public func kill(
        request: ServerRequest<Containerd_Services_Tasks_V1_KillRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await forward(request.metadata, request.message.containerID) { task, id in
            var kill = Containerd_Task_V2_KillRequest()
            kill.id = id
            kill.execID = request.message.execID
            kill.signal = request.message.signal
            kill.all = request.message.all
            return try await task.shim.call(.kill, kill)
        }
    }

    public func exec(
        request: ServerRequest<Containerd_Services_Tasks_V1_ExecProcessRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        let message = request.message
        guard !message.execID.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "exec id must not be empty")
        }
        return try await forward(request.metadata, message.containerID) { task, id in
            var exec = Containerd_Task_V2_ExecProcessRequest()
            exec.id = id
            exec.execID = message.execID
            exec.terminal = message.terminal
            exec.stdin = message.stdin
            exec.stdout = message.stdout
            exec.stderr = message.stderr
            if message.hasSpec { exec.spec = message.spec }
            return try await task.shim.call(.exec, exec)
        }
    }

    public func resizePty(
        request: ServerRequest<Containerd_Services_Tasks_V1_ResizePtyRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await forward(request.metadata, request.message.containerID) { task, id in
            var resize = Containerd_Task_V2_ResizePtyRequest()
            resize.id = id
            resize.execID = request.message.execID
            resize.width = request.message.width
            resize.height = request.message.height
            return try await task.shim.call(.resizePty, resize, timeoutMilliseconds: ShimClient.Timeout.query)
        }
    }

    public func closeIO(
        request: ServerRequest<Containerd_Services_Tasks_V1_CloseIORequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await forward(request.metadata, request.message.containerID) { task, id in
            var close = Containerd_Task_V2_CloseIORequest()
            close.id = id
            close.execID = request.message.execID
            close.stdin = request.message.stdin
            return try await task.shim.call(.closeIO, close, timeoutMilliseconds: ShimClient.Timeout.query)
        }
    }

    public func pause(
        request: ServerRequest<Containerd_Services_Tasks_V1_PauseTaskRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await forward(request.metadata, request.message.containerID) { task, id in
            var pause = Containerd_Task_V2_PauseRequest()
            pause.id = id
            return try await task.shim.call(.pause, pause)
        }
    }

    public func resume(
        request: ServerRequest<Containerd_Services_Tasks_V1_ResumeTaskRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await forward(request.metadata, request.message.containerID) { task, id in
            var resume = Containerd_Task_V2_ResumeRequest()
            resume.id = id
            return try await task.shim.call(.resume, resume)
        }
    }

    public func listPids(
        request: ServerRequest<Containerd_Services_Tasks_V1_ListPidsRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_ListPidsResponse> {
        try await forward(request.metadata, request.message.containerID) { task, id in
            var pids = Containerd_Task_V2_PidsRequest()
            pids.id = id
            let listed: Containerd_Task_V2_PidsResponse = try await task.shim.call(.pids, pids)
            var response = Containerd_Services_Tasks_V1_ListPidsResponse()
            response.processes = listed.processes
            return response
        }
    }

    public func checkpoint(
        request: ServerRequest<Containerd_Services_Tasks_V1_CheckpointTaskRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_CheckpointTaskResponse> {
        throw RPCError(code: .unimplemented, message: "checkpoint is not supported by berthd")
    }

    public func update(
        request: ServerRequest<Containerd_Services_Tasks_V1_UpdateTaskRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await forward(request.metadata, request.message.containerID) { task, id in
            var update = Containerd_Task_V2_UpdateTaskRequest()
            update.id = id
            if request.message.hasResources { update.resources = request.message.resources }
            update.annotations = request.message.annotations
            return try await task.shim.call(.update, update)
        }
    }

    /// One `Metric` per live task matching the filters (fields `id`,
    /// `namespace`), with the shim's Stats as `data`.
    public func metrics(
        request: ServerRequest<Containerd_Services_Tasks_V1_MetricsRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_MetricsResponse> {
        try await rpc {
            let filter = try Filter(parsing: request.message.filters)
            var response = Containerd_Services_Tasks_V1_MetricsResponse()
            for (key, entry) in await manager.all().sorted(by: { $0.key.description < $1.key.description }) {
                guard filter.matches(TaskFilterFields(key: key)), case .live(let task) = entry else { continue }
                var stats = Containerd_Task_V2_StatsRequest()
                stats.id = key.id
                guard
                    let answer = try? await task.shim.call(
                        .stats, stats, as: Containerd_Task_V2_StatsResponse.self,
                        timeoutMilliseconds: ShimClient.Timeout.query)
                else { continue }
                var metric = Containerd_Types_Metric()
                metric.timestamp = EventExchange.now()
                metric.id = key.id
                metric.data = answer.stats
                response.metrics.append(metric)
            }
            return ServerResponse(message: response)
        }
    }

    /// Resolves the live task and runs `body` with it and the container id.
    func forward<Response: Message>(
        _ metadata: Metadata,
        _ containerID: String,
        _ body: (ShimTask, String) async throws -> Response
    ) async throws -> ServerResponse<Response> {
        try await rpc {
            let (key, _) = try resolve(metadata, containerID)
            let task = try await manager.live(key)
            return ServerResponse(message: try await body(task, key.id))
        }
    }
}

/// The filter fields of a task in Metrics: `id` and `namespace`.
struct TaskFilterFields: Filterable {
    let key: TaskKey

    func filterField(_ fieldPath: [String]) -> String? {
        switch fieldPath {
        case ["id"]: key.id
        case ["namespace"]: key.namespace
        default: nil
        }
    }
}
