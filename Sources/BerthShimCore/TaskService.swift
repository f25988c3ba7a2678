import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The shim's `containerd.task.v2.Task` service for one container, plus
/// Berth's `berth.shim.v1.Journal`.
///
/// Everything runs on the one event loop. Executor commands block the loop
/// while they run (they are short; the reaper keeps every other exit that
/// arrives meanwhile); `Wait` is answered later, from the exit handling.
public final class TaskService {
    /// What the service needs from its environment.
    public struct Configuration {
        /// The containerd namespace (`-namespace`).
        public var namespace: String
        /// The task id the shim was started for (`-id`).
        public var id: String
        /// The bundle (the shim's working directory).
        public var bundle: String
        /// The executor root used when the runtime options name none.
        public var defaultExecutorRoot: String
        /// The daemon's ttrpc socket for events (`TTRPC_ADDRESS`); nil for none.
        public var eventsAddress: String?
        /// The environment executors run with.
        public var environment: [String]
        /// Where `--console-socket` sockets are made.
        public var temporaryDirectory = "/tmp"

        public init(
            namespace: String, id: String, bundle: String, defaultExecutorRoot: String, eventsAddress: String?,
            environment: [String]
        ) {
            self.namespace = namespace
            self.id = id
            self.bundle = bundle
            self.defaultExecutorRoot = defaultExecutorRoot
            self.eventsAddress = eventsAddress
            self.environment = environment
        }
    }

    let configuration: Configuration
    unowned let loop: EventLoop
    let reaper: Reaper
    let logger: Logger
    let watcher: IOWatcher
    let publisher: EventPublisher
    let host = ExecutorQuirks.Host.probe()
    var container: Container?
    /// Called when the shim should exit (after Shutdown with no container).
    var onShutdown: (Bool) -> Void = { _ in }
    private var consoleCounter = 0
    private var trimScheduled = false

    /// A service for one task. Call ``register(on:)`` and attach the reaper
    /// to ``handleExit(pid:status:)``.
    public init(configuration: Configuration, loop: EventLoop, reaper: Reaper, logger: Logger) {
        self.configuration = configuration
        self.loop = loop
        self.reaper = reaper
        self.logger = logger
        self.watcher = IOWatcher(loop: loop)
        let journal = EventJournal(bundle: configuration.bundle, logger: logger)
        self.publisher = EventPublisher(
            loop: loop, address: configuration.eventsAddress, namespace: configuration.namespace,
            taskID: configuration.id, journal: journal, logger: logger)
    }

    /// Sets what happens when the shim may exit; the flag says whether
    /// Shutdown asked for `now`.
    public func setShutdownHandler(_ handler: @escaping (Bool) -> Void) {
        onShutdown = handler
    }

    /// Whether a task (created and not yet deleted) exists.
    public var hasTask: Bool { container != nil }

    /// Events not yet delivered to the daemon.
    public var pendingEventCount: Int { publisher.pendingCount }

    /// Calls `body` once every event is delivered, or after `timeoutMilliseconds`.
    public func whenEventsDelivered(timeoutMilliseconds: Int64, _ body: @escaping () -> Void) {
        publisher.whenIdle(timeoutMilliseconds: timeoutMilliseconds, body)
    }

    /// Registers every Task and Journal method on `server`.
    public func register(on server: TTRPCServer) {
        let service = TaskService.Method.self
        route(server, service.state, Containerd_Task_V2_StateRequest.self) { [unowned self] in try self.state($0) }
        route(server, service.create, Containerd_Task_V2_CreateTaskRequest.self) { [unowned self] in
            try self.create($0)
        }
        route(server, service.start, Containerd_Task_V2_StartRequest.self) { [unowned self] in try self.start($0) }
        route(server, service.delete, Containerd_Task_V2_DeleteRequest.self) { [unowned self] in try self.delete($0) }
        route(server, service.pids, Containerd_Task_V2_PidsRequest.self) { [unowned self] in try self.pids($0) }
        route(server, service.pause, Containerd_Task_V2_PauseRequest.self) { [unowned self] in try self.pause($0) }
        route(server, service.resume, Containerd_Task_V2_ResumeRequest.self) { [unowned self] in try self.resume($0) }
        route(server, service.checkpoint, Containerd_Task_V2_CheckpointTaskRequest.self) { _ in
            throw ShimError(code: .notImplemented, message: "checkpoint is not supported by berth-shim")
        }
        route(server, service.kill, Containerd_Task_V2_KillRequest.self) { [unowned self] in try self.kill($0) }
        route(server, service.exec, Containerd_Task_V2_ExecProcessRequest.self) { [unowned self] in try self.exec($0) }
        route(server, service.resizePty, Containerd_Task_V2_ResizePtyRequest.self) { [unowned self] in
            try self.resizePty($0)
        }
        route(server, service.closeIO, Containerd_Task_V2_CloseIORequest.self) { [unowned self] in
            try self.closeIO($0)
        }
        route(server, service.update, Containerd_Task_V2_UpdateTaskRequest.self) { [unowned self] in
            try self.update($0)
        }
        route(server, service.stats, Containerd_Task_V2_StatsRequest.self) { [unowned self] in try self.stats($0) }
        route(server, service.connect, Containerd_Task_V2_ConnectRequest.self) { [unowned self] in
            try self.connect($0)
        }
        route(server, service.shutdown, Containerd_Task_V2_ShutdownRequest.self) { [unowned self] in
            try self.shutdown($0)
        }
        server.register(service: BerthShimProto.TaskService.name, method: service.wait.rawValue) {
            [unowned self] request, responder in
            do {
                let message = try Containerd_Task_V2_WaitRequest(serializedBytes: request.payload)
                try self.wait(message, responder)
            } catch let error as ShimError {
                responder.fail(error.ttrpc)
            } catch {
                responder.fail(TTRPCError.malformed("request", streamID: responder.streamID, reason: "\(error)"))
            }
        }
        registerJournal(on: server)
    }

    typealias Method = BerthShimProto.TaskService.Method

    /// Registers a handler that decodes `Request`, runs `body` and answers
    /// with its result or error.
    func route<Request: Message>(
        _ server: TTRPCServer, _ method: Method, _ type: Request.Type,
        service: String = BerthShimProto.TaskService.name,
        _ body: @escaping (Request) throws -> any Message
    ) {
        route(server, method.rawValue, type, service: service, body)
    }

    func route<Request: Message>(
        _ server: TTRPCServer, _ method: String, _ type: Request.Type, service: String,
        _ body: @escaping (Request) throws -> any Message
    ) {
        server.register(service: service, method: method) { [unowned self] request, responder in
            let message: Request
            do {
                message = try Request(serializedBytes: request.payload)
            } catch {
                responder.fail(TTRPCError.malformed("request", streamID: responder.streamID, reason: "\(error)"))
                return
            }
            do {
                let response = try body(message)
                responder.succeed(response)
            } catch {
                let failure = (error as? ShimError) ?? ShimError(code: .internal, message: "\(error)")
                self.logger.debug("call failed", metadata: ["method": "\(method)", "error": "\(failure.message)"])
                responder.fail(failure.ttrpc)
            }
        }
    }

    // MARK: lookup

    /// The container, if `id` names it.
    func container(_ id: String) throws(ShimError) -> Container {
        guard let container, container.id == id else { throw .containerNotCreated }
        return container
    }

    /// The exec `execID` of `container`.
    func exec(_ container: Container, _ execID: String) throws(ShimError) -> ExecProcess {
        guard let exec = container.execs[execID] else {
            throw .notFound("process does not exist \(execID)")
        }
        return exec
    }

    /// A fresh path for a `--console-socket`.
    func nextConsoleSocketPath() -> String {
        consoleCounter += 1
        return FileSystem.join(configuration.temporaryDirectory, "berth-pty-\(getpid())-\(consoleCounter).sock")
    }

    /// Returns freed heap to the kernel shortly after a process went away,
    /// so exec churn does not leave the shim at its high-water mark.
    func scheduleMemoryTrim() {
        guard !trimScheduled else { return }
        trimScheduled = true
        loop.schedule(afterMilliseconds: 500) { [weak self] in
            self?.trimScheduled = false
            ProcessControl.releaseFreeMemory()
        }
    }
}

/// Validates a process or container id before it becomes part of a path:
/// containerd's identifier rule (1–76 characters, letters and digits
/// separated by `.`, `_` or `-`).
func validateIdentifier(_ id: String, _ what: String) throws(ShimError) {
    let bytes = Array(id.utf8)
    guard !bytes.isEmpty, bytes.count <= 76 else {
        throw .invalid("\(what) \(id.debugDescription): must be 1 to 76 characters")
    }
    func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
    }
    for (index, byte) in bytes.enumerated() {
        if isAlphanumeric(byte) { continue }
        let isSeparator = byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        guard isSeparator, index > 0, index < bytes.count - 1, isAlphanumeric(bytes[index - 1]) else {
            throw .invalid("\(what) \(id.debugDescription): invalid character or separator")
        }
    }
}
