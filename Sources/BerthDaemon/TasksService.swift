import BerthAPI
import BerthErrors
import BerthMetadata
import BerthRuntime
import BerthShimProto
import BerthSystem
import GRPCCore
import SwiftProtobuf

/// `containerd.services.tasks.v1.Tasks` over BerthRuntime's ``TaskManager``.
///
/// Every call first resolves the container (NotFound if there is none),
/// then the task ("task ID not found"). `Process.id` is the container id
/// for the init and the exec id for an exec; `container_id` is left empty,
/// as containerd leaves it.
public struct TasksService: Containerd_Services_Tasks_V1_Tasks.ServiceProtocol {
    let containers: ContainerStore
    let manager: TaskManager

    /// Response metadata of Tasks.Create, Tasks.Start and Tasks.Delete naming the
    /// durations of their phases (the executor's as its shim recorded them).
    public static let phasesKey = "berth-phases"

    /// A service over `manager`, resolving containers in `containers`.
    public init(containers: ContainerStore, manager: TaskManager) {
        self.containers = containers
        self.manager = manager
    }

    /// The namespace of the call and the container `id` in it.
    func resolve(_ metadata: Metadata, _ id: String) throws -> (TaskKey, Container) {
        let namespace = try metadata.requiredNamespace()
        let container = try containers.get(namespace: namespace, id: id)
        return (TaskKey(namespace: namespace, id: id), container)
    }

    public func create(
        request: ServerRequest<Containerd_Services_Tasks_V1_CreateTaskRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_CreateTaskResponse> {
        let received = MonotonicClock.microseconds()
        return try await rpc {
            let message = request.message
            let (key, container) = try resolve(request.metadata, message.containerID)
            guard let spec = container.spec else {
                throw DaemonError.invalidArgument("container \(key.id) has no spec")
            }
            let options: Google_Protobuf_Any? =
                message.hasOptions
                ? message.options : container.runtime.options.map(ContainersService.any)
            let task = try await manager.create(
                TaskCreateRequest(
                    namespace: key.namespace, id: key.id, spec: spec.value,
                    runtime: message.runtimePath.isEmpty ? container.runtime.name : message.runtimePath,
                    options: options, rootfs: message.rootfs, stdin: message.stdin, stdout: message.stdout,
                    stderr: message.stderr, terminal: message.terminal))
            var response = Containerd_Services_Tasks_V1_CreateTaskResponse()
            response.containerID = key.id
            response.pid = task.pid
            // Berth extension for benchmark harnesses (`berth bench`): where
            // the time went, e.g. "bundle=310,shim_start=4100,…" (µs), and
            // when the call arrived (CLOCK_MONOTONIC µs, `received_at`).
            let phases = (task.creationPhases.map { "\($0.name)=\($0.microseconds)" } + ["received_at=\(received)"])
                .joined(separator: ",")
            return ServerResponse(message: response, metadata: [Self.phasesKey: "\(phases)"])
        }
    }

    public func start(
        request: ServerRequest<Containerd_Services_Tasks_V1_StartRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_StartResponse> {
        try await rpc {
            let (key, _) = try resolve(request.metadata, request.message.containerID)
            let task = try await manager.live(key)
            var start = Containerd_Task_V2_StartRequest()
            start.id = key.id
            start.execID = request.message.execID
            let started: Containerd_Task_V2_StartResponse = try await task.shim.call(.start, start)
            var response = Containerd_Services_Tasks_V1_StartResponse()
            response.pid = started.pid
            var metadata = Metadata()
            if start.execID.isEmpty,
                let phase = task.bundle.executorPhases().last(where: { $0.name == "executor_start" })
            {
                metadata.addString("\(phase.name)=\(phase.microseconds)", forKey: Self.phasesKey)
            }
            return ServerResponse(message: response, metadata: metadata)
        }
    }

    public func delete(
        request: ServerRequest<Containerd_Services_Tasks_V1_DeleteTaskRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_DeleteResponse> {
        try await rpc {
            let (key, _) = try resolve(request.metadata, request.message.containerID)
            let (deleted, phases) = try await manager.deleteTimed(key)
            var response = Containerd_Services_Tasks_V1_DeleteResponse()
            response.pid = deleted.pid
            response.exitStatus = deleted.exitStatus
            response.exitedAt = deleted.exitedAt
            let header = phases.map { "\($0.name)=\($0.microseconds)" }.joined(separator: ",")
            return ServerResponse(message: response, metadata: [Self.phasesKey: "\(header)"])
        }
    }

    public func deleteProcess(
        request: ServerRequest<Containerd_Services_Tasks_V1_DeleteProcessRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_DeleteResponse> {
        try await rpc {
            let (key, _) = try resolve(request.metadata, request.message.containerID)
            guard !request.message.execID.isEmpty else {
                throw DaemonError.invalidArgument("exec id must not be empty")
            }
            let task = try await manager.live(key)
            var delete = Containerd_Task_V2_DeleteRequest()
            delete.id = key.id
            delete.execID = request.message.execID
            let deleted: Containerd_Task_V2_DeleteResponse = try await task.shim.call(.delete, delete)
            var response = Containerd_Services_Tasks_V1_DeleteResponse()
            response.id = request.message.execID
            response.pid = deleted.pid
            response.exitStatus = deleted.exitStatus
            response.exitedAt = deleted.exitedAt
            return ServerResponse(message: response)
        }
    }

    public func get(
        request: ServerRequest<Containerd_Services_Tasks_V1_GetRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_GetResponse> {
        try await rpc {
            let (key, _) = try resolve(request.metadata, request.message.containerID)
            let execID = request.message.execID
            guard let entry = await manager.entry(key) else {
                throw DaemonError.notFound("task \(key.id) not found")
            }
            var response = Containerd_Services_Tasks_V1_GetResponse()
            response.process = try await Self.process(entry, id: key.id, execID: execID)
            return ServerResponse(message: response)
        }
    }

    public func list(
        request: ServerRequest<Containerd_Services_Tasks_V1_ListTasksRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_ListTasksResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let entries = await manager.list(namespace: namespace)
            let processes = await withTaskGroup(of: (Int, Containerd_V1_Types_Process?).self) { group in
                for (index, task) in entries.enumerated() {
                    group.addTask {
                        do {
                            return (index, try await Self.process(task.entry, id: task.id, execID: ""))
                        } catch let error as any BerthError where error.code == .notFound {
                            return (index, nil)
                        } catch {
                            var unknown = Containerd_V1_Types_Process()
                            unknown.id = task.id
                            unknown.status = .unknown
                            return (index, unknown)
                        }
                    }
                }
                var result: [(Int, Containerd_V1_Types_Process)] = []
                for await (index, process) in group { if let process { result.append((index, process)) } }
                return result.sorted { $0.0 < $1.0 }.map(\.1)
            }
            var response = Containerd_Services_Tasks_V1_ListTasksResponse()
            response.tasks = processes
            return ServerResponse(message: response)
        }
    }

    public func wait(
        request: ServerRequest<Containerd_Services_Tasks_V1_WaitRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Tasks_V1_WaitResponse> {
        try await rpc {
            let (key, _) = try resolve(request.metadata, request.message.containerID)
            let waited = try await manager.wait(key, execID: request.message.execID)
            var response = Containerd_Services_Tasks_V1_WaitResponse()
            response.exitStatus = waited.exitStatus
            response.exitedAt = waited.exitedAt
            return ServerResponse(message: response)
        }
    }

    /// The `Process` of the init (`execID` empty) or an exec of a task.
    static func process(_ entry: TaskEntry, id: String, execID: String) async throws -> Containerd_V1_Types_Process {
        var process = Containerd_V1_Types_Process()
        process.id = execID.isEmpty ? id : execID
        switch entry {
        case .creating:
            throw DaemonError.notFound("task \(id) not found")
        case .dead(let dead):
            guard execID.isEmpty else { throw DaemonError.notFound("process \(execID) not found") }
            process.pid = dead.pid
            process.status = .stopped
            process.exitStatus = dead.exitStatus
            process.exitedAt = dead.exitedAt
        case .live(let task), .deleting(let task):
            let state = try await task.shim.state(id: id, execID: execID)
            process.pid = state.pid
            process.status = state.status
            process.stdin = state.stdin
            process.stdout = state.stdout
            process.stderr = state.stderr
            process.terminal = state.terminal
            process.exitStatus = state.exitStatus
            if state.hasExitedAt { process.exitedAt = state.exitedAt }
        }
        return process
    }
}
