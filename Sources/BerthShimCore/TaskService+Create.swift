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

extension TaskService {
    /// Create: mounts the rootfs, prepares stdio, runs the executor's
    /// `create`, and publishes `/tasks/create`.
    func create(_ request: Containerd_Task_V2_CreateTaskRequest) throws(ShimError) -> any Message {
        guard container == nil else {
            throw ShimError(code: .alreadyExists, message: "container \(request.id): already exists")
        }
        try validateIdentifier(request.id, "container id")
        guard request.checkpoint.isEmpty else {
            throw ShimError(code: .notImplemented, message: "restoring a checkpoint is not supported by berth-shim")
        }
        let bundle = request.bundle.isEmpty ? configuration.bundle : request.bundle
        let options = try RuntimeOptions(any: request.hasOptions ? request.options : nil)
        try options.save(bundle: bundle)
        let executorConfiguration = options.executorConfiguration(
            namespace: configuration.namespace, defaultRoot: configuration.defaultExecutorRoot, bundle: bundle)
        let executor: Executor
        do {
            executor = try Executor(
                configuration: executorConfiguration,
                quirks: .forDialect(executorConfiguration.dialect, on: host),
                runner: reaper, environment: configuration.environment)
        } catch {
            throw ShimError("", error)
        }
        logger.info(
            "creating task",
            metadata: [
                "container.id": "\(request.id)", "executor": "\(executorConfiguration.binary)",
                "executor.root": "\(executorConfiguration.root)",
            ])

        let mounts = request.rootfs.map { (type: $0.type, source: $0.source, options: $0.options) }
        var rootfs: String?
        if !mounts.isEmpty {
            let path = FileSystem.join(bundle, "rootfs")
            try mountRootfs(mounts, at: path)
            rootfs = path
        }
        let stdio = StdioRequest(
            stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal)
        let io: ProcessIO
        let pid: Int32
        do {
            io = try ProcessIO.prepare(
                stdio, processID: request.id, namespace: configuration.namespace, watcher: watcher, loop: loop,
                logger: logger, consoleSocketPath: nextConsoleSocketPath())
        } catch {
            unmountRootfs(rootfs)
            throw error
        }
        let pidFile = FileSystem.join(bundle, "init.pid")
        do throws(ShimError) {
            let timing = ExecutorTiming()
            do {
                try executor.create(
                    id: request.id, bundle: bundle, pidFile: pidFile, consoleSocket: io.consoleSocketPath,
                    stdio: io.executorStdio, noPivot: options.options.noPivotRoot,
                    noNewKeyring: options.options.noNewKeyring)
            } catch {
                throw ShimError("", error)
            }
            timing.record("executor_create", bundle: bundle)
            pid = try Self.readPIDFile(pidFile)
            try io.startCopying()
        } catch {
            io.close()
            try? executor.delete(id: request.id, force: true)
            unmountRootfs(rootfs)
            throw error
        }

        let initProcess = InitProcess(id: request.id, stdio: stdio, pid: pid, io: io)
        let container = Container(
            id: request.id, bundle: bundle, executor: executor, options: options, rootfs: rootfs,
            rootfsMounts: mounts, initProcess: initProcess)
        container.sharesHostPIDNamespace = Self.sharesPIDNamespace(pid)
        container.cgroup = CgroupLocation.of(pid: pid)
        if let cgroup = container.cgroup {
            container.oomWatch = OOMWatch.start(cgroup, loop: loop, logger: logger) { [unowned self] in
                self.logger.info("out of memory", metadata: ["container.id": "\(request.id)"])
                var event = Containerd_Events_TaskOOM()
                event.containerID = request.id
                self.publisher.publish(event)
            }
        }
        self.container = container

        var event = Containerd_Events_TaskCreate()
        event.containerID = request.id
        event.bundle = bundle
        event.rootfs = request.rootfs
        event.io.stdin = request.stdin
        event.io.stdout = request.stdout
        event.io.stderr = request.stderr
        event.io.terminal = request.terminal
        event.checkpoint = request.checkpoint
        event.pid = UInt32(bitPattern: pid)
        publisher.publish(event)

        var response = Containerd_Task_V2_CreateTaskResponse()
        response.pid = UInt32(bitPattern: pid)
        return response
    }

    private func mountRootfs(_ mounts: [(type: String, source: String, options: [String])], at path: String)
        throws(ShimError)
    {
        if FileSystem.kind(path) == nil {
            do {
                try FileSystem.makeDirectories(path, mode: 0o711)
            } catch {
                throw ShimError("create rootfs", error)
            }
        }
        for mount in mounts {
            do {
                try Mounter.mount(MountSpec(type: mount.type, source: mount.source, options: mount.options), at: path)
            } catch {
                unmountRootfs(path)
                throw ShimError("failed to mount rootfs component \(mount.type) \(mount.source)", error)
            }
        }
    }

    /// Unmounts everything on the rootfs; failures are logged.
    func unmountRootfs(_ path: String?) {
        guard let path else { return }
        do {
            try Mounter.unmountAll(path)
        } catch {
            logger.warning("failed to cleanup rootfs mount", metadata: ["error": "\(error)"])
            try? Mounter.unmountAll(path, detach: true)
        }
    }

    /// Reads a pid file the executor wrote.
    static func readPIDFile(_ path: String) throws(ShimError) -> Int32 {
        guard let text = FileSystem.readText(path, limit: 64), let pid = Int32(text.trimmingWhitespace), pid > 0 else {
            throw ShimError(code: .internal, message: "failed to retrieve OCI runtime container pid from \(path)")
        }
        return pid
    }

    /// Whether `pid` lives in the shim's pid namespace.
    static func sharesPIDNamespace(_ pid: Int32) -> Bool {
        func link(_ path: String) -> String? {
            var buffer = [CChar](repeating: 0, count: 128)
            let n = readlink(path, &buffer, buffer.count - 1)
            guard n > 0 else { return nil }
            return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        guard let theirs = link("/proc/\(pid)/ns/pid"), let ours = link("/proc/self/ns/pid") else { return false }
        return theirs == ours
    }
}
