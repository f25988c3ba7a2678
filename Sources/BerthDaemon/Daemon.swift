import BerthAPI
import BerthContent
import BerthGC
import BerthMetadata
import BerthRuntime
import BerthShimProto
import BerthSnapshots
import BerthRegistry
import BerthUnpack
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import SwiftProtobuf
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// berthd: takes the lock, opens the stores, serves the gRPC API and the
/// ttrpc events endpoint, and shuts down gracefully on SIGTERM or SIGINT.
public struct Daemon: Sendable {
    public let config: DaemonConfig
    let logger: Logger

    /// A daemon for `config`, logging to `logger`.
    public init(config: DaemonConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Runs until SIGTERM/SIGINT (or `stop` resumes), then shuts down.
    ///
    /// - Throws: `unavailable` if another daemon holds the socket's lock;
    ///   start-up errors of the stores and listeners.
    public func run() async throws {
        try Self.makeDirectory(config.root, mode: 0o711)
        try Self.makeDirectory(config.state, mode: 0o711)
        try Self.makeDirectory(Self.parent(of: config.grpc.address), mode: 0o711)
        try Self.makeDirectory(Self.parent(of: config.ttrpc.address), mode: 0o711)
        let lock = try DaemonLock(path: config.lockPath)
        defer { lock.release() }

        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
        let services = try makeServices()
        let exchange = services.exchange
        // Tasks left by the previous daemon are loaded before anything is
        // served, as containerd does: the first Tasks.List is already right.
        let recovered = await services.tasks.recover()
        if recovered > 0 { logger.info("recovered tasks", metadata: ["count": "\(recovered)"]) }
        // Containers run with `--rm` that stopped while the daemon was down.
        let autoRemoval = services.autoRemover.start()
        await services.autoRemover.sweep()

        let apiLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let apiExecutor = EventLoopTaskExecutor(loop: apiLoops.next())
        let transport = HTTP2ServerTransport.Posix(
            address: .unixDomainSocket(path: config.grpc.address),
            transportSecurity: .plaintext,
            config: .defaults { $0.rpc.maxRequestPayloadSize = config.grpc.maxMessageSize },
            eventLoopGroup: apiLoops
        )
        let server = GRPCServer(
            transport: transport, services: services.grpc, interceptors: [CallLogInterceptor(logger: logger)])
        // Sockets are born with mode 0660 (no window where others can
        // connect); chmod/chown below makes it exact.
        let previousMask = umask(0o117)
        let ttrpc: TTRPCEventsServer
        do {
            ttrpc = try await TTRPCEventsServer.start(
                path: config.ttrpc.address, gate: services.tasks.gate,
                group: .singletonMultiThreadedEventLoopGroup, logger: logger)
        } catch {
            umask(previousMask)
            throw DaemonError.unavailable("listen \(config.ttrpc.address): \(error)")
        }

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await withTaskExecutorPreference(apiExecutor) { try await server.serve() } }
            do {
                _ = try await transport.listeningAddress
            } catch {
                umask(previousMask)
                throw DaemonError.unavailable("listen \(config.grpc.address): \(error)")
            }
            umask(previousMask)
            try Self.secure(config.grpc)
            try Self.secure(config.ttrpc)
            logger.info(
                "serving",
                metadata: [
                    "address": "\(config.grpc.address)", "ttrpc": "\(config.ttrpc.address)",
                    "root": "\(config.root)", "state": "\(config.state)", "pid": "\(getpid())",
                ])

            let signal = await signals.next()
            logger.info("shutting down", metadata: ["signal": "\(signal)"])
            exchange.shutdown()
            server.beginGracefulShutdown()
            await ttrpc.close()
        }
        await autoRemoval.value
        unlink(config.grpc.address)
        unlink(config.ttrpc.address)
        logger.info("stopped")
    }

    /// The stores and the services built on them.
    struct Services {
        var exchange: EventExchange
        var tasks: TaskManager
        var autoRemover: AutoRemover
        var grpc: [any RegistrableRPCService]
    }

    func makeServices() throws -> Services {
        // Event numbering and history continue across restarts (the log
        // lives in the state directory, beside the shims' journals).
        let eventLog = try EventLog(
            path: config.state + "/" + EventLog.fileName, retained: EventExchange.historyLimit, logger: logger)
        let exchange = EventExchange(logger: logger, log: eventLog)
        let database = try Database(path: config.root + "/metadata/berth.db", logger: logger)
        let content = try ContentStore(root: config.root + "/content", metadata: database, logger: logger)
        let driver = LocalSnapshotter.Driver.detect(root: config.root)
        let snapshotter = try LocalSnapshotter(
            driver: driver, root: config.root + "/snapshots/" + driver.rawValue, logger: logger)
        if snapshotter.name != config.snapshotter {
            logger.warning(
                "configured snapshotter \(config.snapshotter) is not available here; serving \(snapshotter.name)")
        }
        let collector = GarbageCollector(
            database: database, content: content, snapshotters: [snapshotter], logger: logger)
        let collect: @Sendable () throws -> Void = { try collector.collect() }
        let uuid = try ServerIdentity.load(path: config.uuidPath)
        let tasks = makeTaskManager(exchange: exchange)
        let containers = ContainerStore(database: database)
        let diff = DiffService(content: content, temporaryMounts: config.root + "/tmpmounts", logger: logger)
        diff.removeStaleMounts()
        var grpc: [any RegistrableRPCService] = [
            VersionService(),
            EventsService(exchange: exchange),
            NamespacesService(
                store: NamespaceStore(database: database), exchange: exchange, snapshotters: [snapshotter]),
            LeasesService(store: LeaseStore(database: database), collect: collect),
            ImagesService(store: ImageStore(database: database), exchange: exchange, collect: collect),
            ContentService(store: content, exchange: exchange),
            SnapshotsService(
                snapshotters: [snapshotter.name: snapshotter], leases: LeaseStore(database: database),
                exchange: exchange),
            diff,
            PullService(
                content, snapshotter, exchange: exchange, collect: collect,
                registryLimits: RegistryLimits(
                    maxManifestSize: config.limits.maxManifestSize, maxConfigSize: config.limits.maxConfigSize,
                    maxIndexDepth: config.limits.maxIndexDepth),
                unpackLimits: UnpackLimits(
                    maxEntries: config.limits.maxLayerEntries, maxBytes: config.limits.maxLayerBytes),
                logger: logger),
            ContainersService(store: containers, exchange: exchange),
            TasksService(containers: containers, manager: tasks),
        ]
        // The introspection list follows `served`.
        let served: Set<String> = [
            "version", "events", "namespaces", "introspection", "leases", "images", "content", "snapshots", "diff",
            "containers", "tasks",
        ]
        grpc.append(
            IntrospectionService(
                uuid: uuid, plugins: IntrospectionService.plugins(served: served, snapshotter: config.snapshotter)))
        let autoRemover = AutoRemover(
            containers: containers, namespaces: NamespaceStore(database: database), tasks: tasks,
            snapshotters: [snapshotter.name: snapshotter], exchange: exchange, logger: logger)
        return Services(exchange: exchange, tasks: tasks, autoRemover: autoRemover, grpc: grpc)
    }

    /// The runtime v2 task manager: bundles under the state directory,
    /// shims found by runtime name, events through the exchange.
    func makeTaskManager(exchange: EventExchange) -> TaskManager {
        let daemonBinary = Self.executablePath()
        let directory = Self.parent(of: daemonBinary)
        let launcher = ShimLauncher(
            grpcAddress: config.grpc.address, ttrpcAddress: config.ttrpc.address, daemonBinary: daemonBinary,
            debug: logger.logLevel <= .debug, logger: logger)
        let resolver = ShimResolver(
            berthShim: config.shimPath ?? directory + "/berth-shim",
            entries: config.runtimes.mapValues {
                ShimResolver.Entry(runtimeType: $0.runtimeType, executor: $0.binaryName)
            },
            searchPath: ShimResolver.searchPath(daemonBinary: daemonBinary))
        return TaskManager(
            layout: RuntimeLayout(root: config.root, state: config.state), launcher: launcher, resolver: resolver,
            logger: logger,
            prior: PriorEvents(
                serialized: exchange.retained.compactMap { try? $0.withoutBerthSequence.serializedBytes() })
        ) { envelope in
            var forwarded = EventExchange.Envelope()
            forwarded.timestamp = envelope.timestamp
            forwarded.namespace = envelope.namespace
            forwarded.topic = envelope.topic
            forwarded.event = envelope.event
            exchange.forward(forwarded)
        }
    }

    /// This process's executable (`-publish-binary` for shims).
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments.first ?? "berthd" }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// chmod/chown a listening socket as configured.
    static func secure(_ socket: DaemonConfig.Socket) throws(DaemonError) {
        guard chmod(socket.address, mode_t(socket.mode)) == 0 else {
            throw .internal("chmod \(socket.address): \(String(cString: strerror(errno)))")
        }
        guard chown(socket.address, uid_t(socket.uid), gid_t(socket.gid)) == 0 else {
            throw .internal("chown \(socket.address): \(String(cString: strerror(errno)))")
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `mkdir -p` with `mode` for the directories it creates.
    static func makeDirectory(_ path: String, mode: mode_t) throws(DaemonError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0, errno != EEXIST {
                throw .internal("mkdir \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}
