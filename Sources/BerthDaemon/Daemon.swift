import BerthContent
import BerthGC
import BerthMetadata
import BerthSnapshots
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
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

        let transport = HTTP2ServerTransport.Posix(
            address: .unixDomainSocket(path: config.grpc.address),
            transportSecurity: .plaintext,
            config: .defaults { $0.rpc.maxRequestPayloadSize = config.grpc.maxMessageSize }
        )
        let server = GRPCServer(transport: transport, services: services.grpc)
        // Sockets are born with mode 0660 (no window where others can
        // connect); chmod/chown below makes it exact.
        let previousMask = umask(0o117)
        let ttrpc: TTRPCEventsServer
        do {
            ttrpc = try await TTRPCEventsServer.start(
                path: config.ttrpc.address, exchange: exchange,
                group: .singletonMultiThreadedEventLoopGroup, logger: logger)
        } catch {
            umask(previousMask)
            throw DaemonError.unavailable("listen \(config.ttrpc.address): \(error)")
        }

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
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
        unlink(config.grpc.address)
        unlink(config.ttrpc.address)
        logger.info("stopped")
    }

    /// The stores and the services built on them.
    struct Services {
        var exchange: EventExchange
        var grpc: [any RegistrableRPCService]
    }

    func makeServices() throws -> Services {
        let exchange = EventExchange(logger: logger)
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
        var grpc: [any RegistrableRPCService] = [
            VersionService(),
            EventsService(exchange: exchange),
            NamespacesService(
                store: NamespaceStore(database: database), exchange: exchange, snapshotters: [snapshotter]),
            LeasesService(store: LeaseStore(database: database), collect: collect),
            ImagesService(store: ImageStore(database: database), exchange: exchange, collect: collect),
            ContentService(store: content, exchange: exchange),
            SnapshotsService(snapshotters: [snapshotter.name: snapshotter], exchange: exchange),
            DiffService(content: content, logger: logger),
        ]
        // Seam: containers and tasks (part 2) register here; the
        // introspection list follows `served`.
        let served: Set<String> = [
            "version", "events", "namespaces", "introspection", "leases", "images", "content", "snapshots", "diff",
        ]
        grpc.append(
            IntrospectionService(
                uuid: uuid, plugins: IntrospectionService.plugins(served: served, snapshotter: config.snapshotter)))
        return Services(exchange: exchange, grpc: grpc)
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
