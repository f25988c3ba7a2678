import BerthAPI
import BerthShimProto
import BerthOCI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import SwiftProtobuf

/// The containers, tasks, snapshots and leases services over one gRPC
/// client in one namespace: what the container commands share.
struct ContainerAPI: Sendable {
    typealias Transport = HTTP2ClientTransport.Posix
    typealias Container = Containerd_Services_Containers_V1_Container
    typealias Process = Containerd_V1_Types_Process

    /// The label holding the image's StopSignal, as ctr sets it.
    static let stopSignalLabel = "io.containerd.image.config.stop-signal"
    /// Berth's label: the directory of the container's log files.
    static let logDirectoryLabel = "io.berth.log-dir"
    /// Asks berthd to remove the container when its task exits (`run -d --rm`).
    static let autoRemoveLabel = "io.berth.auto-remove"
    /// The `Any` type URL of a JSON runtime spec.
    static let specTypeURL = "types.containerd.io/opencontainers/runtime-spec/1/Spec"
    /// The `Any` type URL of a JSON exec process.
    static let processTypeURL = "types.containerd.io/opencontainers/runtime-spec/1/Process"
    /// The metadata key of the lease a call works under.
    static let leaseKey = "containerd-lease"

    let grpc: GRPCClient<Transport>
    let daemon: DaemonClient

    var metadata: Metadata { daemon.metadata }
    var namespace: String { daemon.namespace }
    var containers: Containerd_Services_Containers_V1_Containers.Client<Transport> { .init(wrapping: grpc) }
    var tasks: Containerd_Services_Tasks_V1_Tasks.Client<Transport> { .init(wrapping: grpc) }
    var snapshots: Containerd_Services_Snapshots_V1_Snapshots.Client<Transport> { .init(wrapping: grpc) }
    var leases: Containerd_Services_Leases_V1_Leases.Client<Transport> { .init(wrapping: grpc) }

    // MARK: containers

    /// The container `reference` names: its id, or a unique prefix of one.
    func container(_ reference: String) async throws -> Container {
        var request = Containerd_Services_Containers_V1_GetContainerRequest()
        request.id = reference
        do {
            return try await containers.get(request, metadata: metadata).container
        } catch let error as RPCError where error.code == .notFound || error.code == .invalidArgument {
            let matches = try await list().filter { $0.id.hasPrefix(reference) }
            guard matches.count == 1, let only = matches.first, !reference.isEmpty else {
                if matches.count > 1 {
                    throw CLIError(
                        description: "\"\(reference)\" matches \(matches.count) containers; give more of the id",
                        exitCode: 1)
                }
                throw CLIError(description: "no such container: \(reference)", exitCode: 1)
            }
            return only
        }
    }

    /// Every container in the namespace.
    func list() async throws -> [Container] {
        try await containers.list(Containerd_Services_Containers_V1_ListContainersRequest(), metadata: metadata)
            .containers
    }

    /// The container's runtime spec, decoded.
    static func spec(of container: Container) -> [String: Any]? {
        guard container.hasSpec else { return nil }
        return (try? JSONSerialization.jsonObject(with: container.spec.value)) as? [String: Any]
    }

    // MARK: tasks

    /// The container's task (init process), or nil if it has none.
    func task(_ id: String, execID: String = "") async throws -> Process? {
        var request = Containerd_Services_Tasks_V1_GetRequest()
        request.containerID = id
        request.execID = execID
        do {
            return try await tasks.get(request, metadata: metadata).process
        } catch let error as RPCError where error.code == .notFound {
            return nil
        }
    }

    /// Every task in the namespace, by container id.
    func taskList() async throws -> [String: Process] {
        let listed = try await tasks.list(Containerd_Services_Tasks_V1_ListTasksRequest(), metadata: metadata).tasks
        return Dictionary(listed.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func start(_ id: String, execID: String = "") async throws -> UInt32 {
        var request = Containerd_Services_Tasks_V1_StartRequest()
        request.containerID = id
        request.execID = execID
        return try await tasks.start(request, metadata: metadata).pid
    }

    /// Blocks until the process exits; its exit status.
    func wait(_ id: String, execID: String = "") async throws -> UInt32 {
        var request = Containerd_Services_Tasks_V1_WaitRequest()
        request.containerID = id
        request.execID = execID
        return try await tasks.wait(request, metadata: metadata).exitStatus
    }

    func kill(_ id: String, signal: Int32, all: Bool = false, execID: String = "") async throws {
        var request = Containerd_Services_Tasks_V1_KillRequest()
        request.containerID = id
        request.execID = execID
        request.signal = UInt32(signal)
        request.all = all
        _ = try await tasks.kill(request, metadata: metadata)
    }

    /// Deletes the (stopped or created) task; its exit status.
    @discardableResult
    func deleteTask(_ id: String) async throws -> UInt32 {
        var request = Containerd_Services_Tasks_V1_DeleteTaskRequest()
        request.containerID = id
        return try await tasks.delete(request, metadata: metadata).exitStatus
    }

    func deleteProcess(_ id: String, execID: String) async throws -> UInt32 {
        var request = Containerd_Services_Tasks_V1_DeleteProcessRequest()
        request.containerID = id
        request.execID = execID
        return try await tasks.deleteProcess(request, metadata: metadata).exitStatus
    }

    func closeStdin(_ id: String, execID: String = "") async throws {
        var request = Containerd_Services_Tasks_V1_CloseIORequest()
        request.containerID = id
        request.execID = execID
        request.stdin = true
        _ = try await tasks.closeIO(request, metadata: metadata)
    }

    func resize(_ id: String, execID: String = "", width: UInt16, height: UInt16) async throws {
        var request = Containerd_Services_Tasks_V1_ResizePtyRequest()
        request.containerID = id
        request.execID = execID
        request.width = UInt32(width)
        request.height = UInt32(height)
        _ = try await tasks.resizePty(request, metadata: metadata)
    }

    /// Waits until the task is stopped, up to `timeout`; whether it is.
    func waitStopped(_ id: String, timeout: Duration) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            guard let process = try await task(id), process.status != .stopped else { return true }
            if clock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: removal

    /// Deletes the container record and its snapshot (a missing snapshot is fine).
    func removeContainer(_ container: Container) async throws {
        if !container.snapshotKey.isEmpty {
            var remove = Containerd_Services_Snapshots_V1_RemoveSnapshotRequest()
            remove.snapshotter = container.snapshotter
            remove.key = container.snapshotKey
            do {
                _ = try await snapshots.remove(remove, metadata: metadata)
            } catch let error as RPCError where error.code == .notFound {
            }
        }
        var request = Containerd_Services_Containers_V1_DeleteContainerRequest()
        request.id = container.id
        _ = try await containers.delete(request, metadata: metadata)
        if let logs = LogFiles(container: container) {
            logs.remove()
        }
    }
}

extension DaemonClient {
    /// Runs `body` with the container API over a fresh connection.
    func containers<Result: Sendable>(_ body: (ContainerAPI) async throws -> Result) async throws -> Result {
        try await run { grpc in try await body(ContainerAPI(grpc: grpc, daemon: self)) }
    }
}
