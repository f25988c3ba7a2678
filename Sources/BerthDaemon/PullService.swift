import BerthAPI
import BerthContent
import BerthMetadata
import BerthOCI
import BerthRegistry
import BerthSnapshots
import BerthUnpack
import GRPCCore
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#endif

/// `berth.services.images.v1.Transfer`, Berth's extension: Pull fetches an
/// image from a registry on the server side, streams the layers into the
/// unpacker while they download, and leaves what `ctr images pull` leaves:
/// the image record, content with containerd's gc and distribution labels,
/// `containerd.io/uncompressed` on layers, committed snapshots named by
/// chain ID and `containerd.io/gc.ref.snapshot.<snapshotter>` on the config.
/// Everything is written under a lease (deleted at the end) so a concurrent
/// GC cannot collect a half-pulled image; a failed pull leaves nothing.
public struct PullService: Berth_Services_Images_V1_Transfer.ServiceProtocol {
    /// The stores a pull writes to.
    public struct Stores: Sendable {
        public var content: ContentStore
        public var images: ImageStore
        public var leases: LeaseStore
        /// Snapshotters by name.
        public var snapshotters: [String: any Snapshotter]
        /// The snapshotter used when a request names none.
        public var defaultSnapshotter: String
        /// Caps on what a registry may send (`[limits]` in the config).
        public var registryLimits = RegistryLimits()
        /// Caps on what a layer may expand to (`[limits]` in the config).
        public var unpackLimits = UnpackLimits()

        public init(
            content: ContentStore, images: ImageStore, leases: LeaseStore, snapshotters: [String: any Snapshotter],
            defaultSnapshotter: String
        ) {
            self.content = content
            self.images = images
            self.leases = leases
            self.snapshotters = snapshotters
            self.defaultSnapshotter = defaultSnapshotter
        }
    }

    /// The hosts directory used when a request names none (if it exists).
    public static let defaultHostsDirectory = "/etc/berth/certs.d"

    let stores: Stores
    let exchange: EventExchange
    /// Runs a garbage collection after a failed pull.
    let collect: (@Sendable () throws -> Void)?
    let logger: Logger

    /// A service writing into `stores`, publishing on `exchange`.
    public init(
        stores: Stores, exchange: EventExchange, collect: (@Sendable () throws -> Void)? = nil, logger: Logger
    ) {
        self.stores = stores
        self.exchange = exchange
        self.collect = collect
        self.logger = logger
    }

    /// The service over berthd's stores: `content`'s database and one snapshotter.
    public init(
        _ content: ContentStore, _ snapshotter: any Snapshotter, exchange: EventExchange,
        collect: (@Sendable () throws -> Void)? = nil, registryLimits: RegistryLimits = RegistryLimits(),
        unpackLimits: UnpackLimits = UnpackLimits(), logger: Logger
    ) {
        var stores = Stores(
            content: content, images: ImageStore(database: content.metadata),
            leases: LeaseStore(database: content.metadata), snapshotters: [snapshotter.name: snapshotter],
            defaultSnapshotter: snapshotter.name)
        stores.registryLimits = registryLimits
        stores.unpackLimits = unpackLimits
        self.init(stores: stores, exchange: exchange, collect: collect, logger: logger)
    }

    public func pull(
        request: ServerRequest<Berth_Services_Images_V1_PullRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Berth_Services_Images_V1_PullProgress> {
        // Invalid requests fail before the stream starts.
        let plan = try await rpc {
            try PullPlan(
                request.message, namespace: try request.metadata.requiredNamespace(), stores: stores)
        }
        let operation = PullOperation(
            plan: plan, stores: stores, exchange: exchange, collect: collect, logger: logger, emit: { _ in })
        return Self.streaming { emit in
            var operation = operation
            operation.emit = emit
            return try await operation.run()
        }
    }

    /// A response that streams what `work` emits, then its result. If the
    /// client goes away, `work` is cancelled.
    static func streaming(
        _ work:
            @escaping @Sendable (@escaping @Sendable (Berth_Services_Images_V1_PullProgress) -> Void) async throws
            -> Berth_Services_Images_V1_PullResult
    ) -> StreamingServerResponse<Berth_Services_Images_V1_PullProgress> {
        StreamingServerResponse { writer in
            let (stream, continuation) = AsyncStream<Berth_Services_Images_V1_PullProgress>.makeStream()
            let task = Task {
                defer { continuation.finish() }
                return try await work { continuation.yield($0) }
            }
            do {
                try await withTaskCancellationHandler {
                    for await message in stream {
                        try await writer.write(message)
                    }
                } onCancel: {
                    task.cancel()
                }
            } catch {
                task.cancel()
                _ = try? await task.value
                throw RPCError(converting: error)
            }
            let result = try await rpc { try await task.value }
            var final = Berth_Services_Images_V1_PullProgress()
            final.result = result
            try await writer.write(final)
            return [:]
        }
    }
}

/// A validated pull request.
struct PullPlan: Sendable {
    var namespace: String
    var reference: ImageReference
    var platform: PlatformMatcher
    var hosts: RegistryHosts
    var credentials: StaticCredentials
    /// The snapshotter to unpack into; nil: no unpack.
    var snapshotter: (any Snapshotter)?

    /// - Throws: InvalidArgument for a bad reference, platform or snapshotter.
    init(_ request: Berth_Services_Images_V1_PullRequest, namespace: String, stores: PullService.Stores) throws {
        self.namespace = namespace
        guard !request.reference.isEmpty else { throw DaemonError.invalidArgument("reference must be set") }
        do {
            reference = try ImageReference(parsing: request.reference)
        } catch {
            throw DaemonError.invalidArgument("reference \"\(request.reference)\": \(Self.message(error))")
        }
        platform = try Self.platform(request.platform)
        var hostsDirectory: String? = request.hostsDir.isEmpty ? nil : request.hostsDir
        if hostsDirectory == nil, Self.isDirectory(PullService.defaultHostsDirectory) {
            hostsDirectory = PullService.defaultHostsDirectory
        }
        hosts = RegistryHosts(plainHTTP: request.plainHTTP ? [reference.domain] : [], hostsDirectory: hostsDirectory)
        if request.hasAuth, !request.auth.username.isEmpty || !request.auth.secret.isEmpty {
            credentials = StaticCredentials([
                reference.domain: RegistryCredentials(username: request.auth.username, secret: request.auth.secret)
            ])
        } else {
            credentials = StaticCredentials()
        }
        snapshotter = request.unpack ? try Self.snapshotter(request.snapshotter, stores: stores) : nil
    }

    /// The platform a request names; empty: the host's.
    static func platform(_ text: String) throws -> PlatformMatcher {
        guard !text.isEmpty else { return .host }
        do {
            return PlatformMatcher(try Platform(parsing: text))
        } catch {
            throw DaemonError.invalidArgument("platform \"\(text)\": \(Self.message(error))")
        }
    }

    /// The snapshotter a request names; empty: the default.
    static func snapshotter(_ requested: String, stores: PullService.Stores) throws -> any Snapshotter {
        let name = requested.isEmpty ? stores.defaultSnapshotter : requested
        guard let snapshotter = stores.snapshotters[name] ?? single(stores, named: requested) else {
            throw DaemonError.invalidArgument("snapshotter not loaded: \(name)")
        }
        return snapshotter
    }

    /// With no snapshotter named, the only one served (the configured default
    /// may not be available on this host).
    static func single(_ stores: PullService.Stores, named: String) -> (any Snapshotter)? {
        guard named.isEmpty, stores.snapshotters.count == 1 else { return nil }
        return stores.snapshotters.values.first
    }

    static func isDirectory(_ path: String) -> Bool {
        // open(O_DIRECTORY) rather than stat(): in release builds `stat`
        // resolves to CoreFoundation's copy and fails MemberImportVisibility.
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    static func message(_ error: any Error) -> String {
        (error as? RegistryError)?.message ?? "\(error)"
    }
}
