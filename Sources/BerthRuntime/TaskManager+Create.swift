import BerthShimProto
import Logging
import SwiftProtobuf

/// What Tasks.Create needs: the container's record and the request.
public struct TaskCreateRequest: Sendable {
    public var namespace: String
    public var id: String
    /// `Container.spec.value`, written verbatim to `config.json`.
    public var spec: [UInt8]
    /// `Container.runtime.name`, or the request's `runtime_path`.
    public var runtime: String
    /// The request's options, else the container's runtime options.
    public var options: Google_Protobuf_Any?
    public var rootfs: [Containerd_Types_Mount]
    public var stdin: String
    public var stdout: String
    public var stderr: String
    public var terminal: Bool

    public init(
        namespace: String, id: String, spec: [UInt8], runtime: String, options: Google_Protobuf_Any?,
        rootfs: [Containerd_Types_Mount], stdin: String, stdout: String, stderr: String, terminal: Bool
    ) {
        self.namespace = namespace
        self.id = id
        self.spec = spec
        self.runtime = runtime
        self.options = options
        self.rootfs = rootfs
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.terminal = terminal
    }
}

extension TaskManager {
    /// Creates a task: bundle, shim `start`, connection, shim `Create`.
    /// On any failure everything made so far is undone.
    ///
    /// - Throws: `alreadyExists` if the task exists (even stopped);
    ///   `notFound` for an unknown runtime; the shim's error otherwise.
    public func create(_ request: TaskCreateRequest) async throws(RuntimeError) -> ShimTask {
        let key = TaskKey(namespace: request.namespace, id: request.id)
        guard entries[key] == nil else { throw .alreadyExists("task \(request.id): already exists") }
        entries[key] = .creating
        gate.reset(key)
        do {
            let task = try await launch(request, key: key)
            entries[key] = .live(task)
            return task
        } catch {
            entries[key] = nil
            throw error
        }
    }

    private func launch(_ request: TaskCreateRequest, key: TaskKey) async throws(RuntimeError) -> ShimTask {
        let runtime = try resolver.resolve(request.runtime)
        let options = try Self.options(request.options, executor: runtime.executor)
        let bundle = TaskBundle(layout: layout, namespace: request.namespace, id: request.id)
        var clock = PhaseClock()
        try bundle.create(spec: request.spec)
        clock.mark("bundle")
        var log: ShimLog?
        var connection: ShimConnection?
        var started = false
        do throws(RuntimeError) {
            log = await ShimLog.start(descriptor: try bundle.openLog(), bundle: bundle, logger: logger)
            var optionBytes: [UInt8] = []
            if let options {
                do { optionBytes = try options.serializedBytes() } catch {
                    throw RuntimeError.internal("encode options: \(error)")
                }
            }
            let address = try await launcher.start(binary: runtime.binary, bundle: bundle, options: optionBytes)
            clock.mark("shim_start")
            started = true
            try bundle.recordShimBinary(runtime.binary)
            let path = ShimConnection.socketPath(address)
            connection = try await ShimConnection.connect(address: address) { [weak self] in
                guard let self else { return }
                Task { await self.connectionClosed(key, path: path) }
            }
            guard let connection else { throw RuntimeError.internal("no shim connection") }
            let shim = ShimClient(connection: connection, namespace: request.namespace)
            var create = Containerd_Task_V2_CreateTaskRequest()
            create.id = request.id
            create.bundle = bundle.path
            create.rootfs = request.rootfs
            create.stdin = request.stdin
            create.stdout = request.stdout
            create.stderr = request.stderr
            create.terminal = request.terminal
            if let options { create.options = options }
            clock.mark("connect")
            let created: Containerd_Task_V2_CreateTaskResponse = try await shim.call(.create, create)
            clock.mark("shim_create")
            bundle.clear(.creating)
            logger.debug("task created", metadata: clock.metadata(["task": "\(key)"]))
            var task = ShimTask(
                bundle: bundle, shim: shim, binary: runtime.binary, isBerthShim: runtime.isBerthShim,
                pid: created.pid, log: log)
            task.creationPhases = clock.phases + bundle.executorPhases()
            return task
        } catch {
            await undoCreate(
                bundle: bundle, binary: runtime.binary, connection: connection, started: started, log: log)
            throw error
        }
    }

    /// Undoes a failed create: shim Delete and Shutdown, shim `delete`,
    /// bundle removal.
    func undoCreate(
        bundle: TaskBundle, binary: String, connection: ShimConnection?, started: Bool, log: ShimLog?
    ) async {
        if let connection {
            await Self.forceDelete(ShimClient(connection: connection, namespace: bundle.namespace), id: bundle.id)
        }
        if started {
            do {
                _ = try await launcher.delete(binary: binary, bundle: bundle)
            } catch {
                logger.warning("shim delete after a failed create: \(error.message)", metadata: ["id": "\(bundle.id)"])
            }
        }
        log?.close()
        bundle.remove()
    }

    /// The options the shim gets: the given ones, or, when there are none
    /// and the runtime names an executor, `containerd.runc.v1.Options`
    /// with `binary_name` set.
    static func options(_ given: Google_Protobuf_Any?, executor: String) throws(RuntimeError) -> Google_Protobuf_Any? {
        if let given, !given.typeURL.isEmpty { return given }
        guard !executor.isEmpty else { return nil }
        var options = Containerd_Runc_V1_Options()
        options.binaryName = executor
        do {
            return try Google_Protobuf_Any(containerdPacking: options)
        } catch {
            throw .internal("pack runtime options: \(error)")
        }
    }
}
