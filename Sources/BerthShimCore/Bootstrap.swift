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

/// The shim binary's actions (`start`, `delete`, serving, `-v`), as
/// containerd's runtime v2 runs them. `main` only calls ``run(arguments:environment:)``.
public enum Shim {
    /// Runs the action named by `arguments` (without argv[0]); returns the
    /// process exit code.
    public static func run(arguments: [String], environment: [String]) -> Int32 {
        let parsed: ShimArguments
        do {
            parsed = try ShimArguments(parsing: arguments)
        } catch {
            StandardStreams.writeError("berth-shim: \(error.message)\n")
            return 2
        }
        switch parsed.action {
        case .version:
            StandardStreams.writeOutput(
                "containerd-shim-berth-v2:\n  Version:  \(BerthBuild.version)\n  Revision: berth\n  Go version: none (Swift)\n"
            )
            return 0
        case .start:
            return report { () throws(ShimError) in try start(parsed, environment: environment) }
        case .delete:
            return report { () throws(ShimError) in try delete(parsed, environment: environment) }
        case .serve:
            return report { () throws(ShimError) in try serve(parsed, environment: environment) }
        }
    }

    private static func report(_ body: () throws(ShimError) -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch {
            StandardStreams.writeError("berth-shim: \(error.message)\n")
            return 1
        }
    }

    static func bundle(_ arguments: ShimArguments) -> String {
        arguments.bundle.isEmpty ? (FileSystem.currentDirectory() ?? ".") : arguments.bundle
    }

    static func socketPath(_ arguments: ShimArguments) -> String {
        if !arguments.socket.isEmpty {
            return arguments.socket.hasPrefix("unix://") ? String(arguments.socket.dropFirst(7)) : arguments.socket
        }
        return ShimPaths(address: arguments.address, namespace: arguments.namespace, id: arguments.id).socket
    }

    // MARK: start

    /// `start`: creates the socket, writes `address`, starts the
    /// long-running shim with the socket as fd 3 in its own session, and
    /// prints the address.
    static func start(_ arguments: ShimArguments, environment: [String]) throws(ShimError) {
        guard !arguments.namespace.isEmpty else { throw .precondition("namespace is required") }
        try validateIdentifier(arguments.id, "id")
        let bundle = bundle(arguments)
        let socket = socketPath(arguments)
        let address = "unix://" + socket
        // The runtime options arrive on stdin; the Create request carries them again.
        _ = try? Descriptor.readAll(0, limit: 1 << 20)

        let listener: Int32
        do {
            try FileSystem.makeDirectories(FileSystem.directoryName(socket), mode: 0o711)
            listener = try listen(socket)
        } catch  where error.errno == EADDRINUSE {
            if let fd = try? UnixSocket.connect(path: socket) {
                // A live shim already serves this socket: reuse it.
                Descriptor.close(fd)
                try writeAddress(address, bundle: bundle)
                StandardStreams.writeOutput(address)
                return
            }
            FileSystem.remove(socket)
            do {
                listener = try listen(socket)
            } catch {
                throw ShimError("create new shim socket 2x", error)
            }
        } catch {
            throw ShimError("create new shim socket", error)
        }
        defer { Descriptor.close(listener) }
        do {
            try writeAddress(address, bundle: bundle)
            var options = Spawn.Options()
            options.extraDescriptors = [listener]
            options.newSession = true
            options.workingDirectory = bundle
            var argv = [
                CommandLine.arguments.first ?? "containerd-shim-berth-v2", "-namespace", arguments.namespace, "-id",
                arguments.id, "-address", arguments.address, "-socket", socket,
            ]
            if !arguments.publishBinary.isEmpty { argv += ["-publish-binary", arguments.publishBinary] }
            if arguments.debug { argv.append("-debug") }
            let child = try Spawn.launch(
                path: "/proc/self/exe", arguments: argv, environment: environment, options: options)
            if child.pidfd >= 0 { Descriptor.close(child.pidfd) }
            adjustOOMScore(of: child.pid)
        } catch let error as ShimError {
            FileSystem.remove(socket)
            throw error
        } catch {
            FileSystem.remove(socket)
            throw ShimError(code: .internal, message: "start shim: \(error)")
        }
        StandardStreams.writeOutput(address)
    }

    private static func listen(_ path: String) throws(SystemError) -> Int32 {
        let fd = try UnixSocket.listen(path: path)
        _ = chmod(path, 0o600)
        return fd
    }

    private static func writeAddress(_ address: String, bundle: String) throws(ShimError) {
        do {
            // The bundle lives in the volatile state directory: atomic
            // (never half-written), not fsynced.
            try FileSystem.writeAtomically(FileSystem.join(bundle, "address"), Array(address.utf8), durable: false)
        } catch {
            throw ShimError("write address", error)
        }
    }

    /// The shim's OOM score is its parent's plus one, as containerd does, so
    /// the daemon outlives its shims under memory pressure.
    private static func adjustOOMScore(of pid: Int32) {
        guard let text = FileSystem.readText("/proc/\(getppid())/oom_score_adj", limit: 32),
            let score = Int(text.trimmingWhitespace)
        else { return }
        try? FileSystem.write("/proc/\(pid)/oom_score_adj", Array(String(min(score + 1, 1000)).utf8))
    }

    // MARK: delete

    /// `delete`: cleans up after a dead shim (executor `delete --force`,
    /// unmount the rootfs) and prints a `DeleteResponse` with the recorded
    /// exit status, or 137 when none was recorded.
    static func delete(_ arguments: ShimArguments, environment: [String]) throws(ShimError) {
        let bundle = bundle(arguments)
        let paths = ShimPaths(address: arguments.address, namespace: arguments.namespace, id: arguments.id)
        let options = RuntimeOptions(bundle: bundle)
        let configuration = options.executorConfiguration(
            namespace: arguments.namespace, defaultRoot: paths.defaultExecutorRoot, bundle: bundle)
        do {
            let reaper = try Reaper()
            let executor = try Executor(
                configuration: configuration,
                quirks: .forDialect(configuration.dialect, on: .probe()), runner: reaper, environment: environment)
            try executor.delete(id: arguments.id, force: true)
        } catch {
            StandardStreams.writeError("berth-shim: delete: \(error)\n")
        }
        let rootfs = FileSystem.join(bundle, "rootfs")
        do {
            try Mounter.unmountAll(rootfs)
        } catch {
            StandardStreams.writeError("berth-shim: failed to cleanup rootfs mount: \(error)\n")
        }
        var response = Containerd_Task_V2_DeleteResponse()
        if let pidText = FileSystem.readText(FileSystem.join(bundle, "init.pid"), limit: 64),
            let pid = UInt32(pidText.trimmingWhitespace)
        {
            response.pid = pid
        }
        if let record = ExitRecord.read(bundle: bundle) {
            response.exitStatus = record.exitStatus
            response.exitedAt = record.exitedAt
        } else {
            response.exitStatus = 137
            response.exitedAt = Google_Protobuf_Timestamp(WallTime.now())
        }
        do {
            let bytes: [UInt8] = try response.serializedBytes()
            try Descriptor.writeAll(1, bytes)
        } catch {
            throw ShimError(code: .internal, message: "write delete response: \(error)")
        }
    }

    // MARK: serve

    /// The long-running shim: serves ttrpc on fd 3 until Shutdown.
    static func serve(_ arguments: ShimArguments, environment: [String]) throws(ShimError) {
        let bundle = bundle(arguments)
        let socket = socketPath(arguments)
        Signals.ignoreBrokenPipe()
        let logDescriptor = (try? Descriptor.open(FileSystem.join(bundle, "log"), O_WRONLY | O_NONBLOCK)) ?? -1
        let level: Logger.Level = arguments.debug ? .debug : .info
        var logger = Logger(label: "berth-shim") { _ in ShimLogHandler(descriptor: logDescriptor, level: level) }
        logger[metadataKey: "namespace"] = "\(arguments.namespace)"
        logger[metadataKey: "id"] = "\(arguments.id)"
        do {
            try ProcessControl.setChildSubreaper(true)
            let reaper = try Reaper()
            let loop = try EventLoop()
            var configuration = TaskService.Configuration(
                namespace: arguments.namespace, id: arguments.id, bundle: bundle,
                defaultExecutorRoot: ShimPaths(
                    address: arguments.address, namespace: arguments.namespace, id: arguments.id
                ).defaultExecutorRoot,
                eventsAddress: environment.first { $0.hasPrefix("TTRPC_ADDRESS=") }.map {
                    String($0.dropFirst("TTRPC_ADDRESS=".count))
                },
                environment: environment)
            if let tmp = environment.first(where: { $0.hasPrefix("TMPDIR=") }) {
                configuration.temporaryDirectory = String(tmp.dropFirst("TMPDIR=".count))
            }
            let service = TaskService(configuration: configuration, loop: loop, reaper: reaper, logger: logger)
            let server = TTRPCServer(loop: loop, listener: 3, allowedUID: getuid())
            server.onProblem = { problem in logger.warning("ttrpc: \(problem)") }
            service.register(on: server)
            try reaper.attach(to: loop) { pid, status in service.handleExit(pid: pid, status: status) }
            try server.start()
            service.setShutdownHandler { now in
                logger.info("shutting down")
                server.stopListening()
                FileSystem.remove(socket)
                if now {
                    loop.stop()
                } else {
                    service.whenEventsDelivered(timeoutMilliseconds: 5000) { loop.stop() }
                }
            }
            logger.info("serving", metadata: ["socket": "\(socket)", "pid": "\(getpid())"])
            loop.run()
            server.closeConnections()
        } catch {
            logger.error("shim failed", metadata: ["error": "\(error)"])
            throw ShimError("serve", error)
        }
    }
}
