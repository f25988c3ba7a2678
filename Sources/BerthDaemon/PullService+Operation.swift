import BerthAPI
import BerthErrors
import BerthMetadata
import BerthOCI
import BerthRegistry
import BerthSnapshots
import GRPCCore
import Logging

/// One server-side pull: a lease, the download with the layers streamed into
/// the unpacker, the unpack labels, the image record and its event.
struct PullOperation: Sendable {
    let plan: PullPlan
    let stores: PullService.Stores
    let exchange: EventExchange
    let collect: (@Sendable () throws -> Void)?
    let logger: Logger
    var emit: @Sendable (Berth_Services_Images_V1_PullProgress) -> Void

    /// Runs the pull; on failure, removes what it wrote.
    func run() async throws -> Berth_Services_Images_V1_PullResult {
        try await PullLease.run(
            stores: stores, namespace: plan.namespace, collect: collect, logger: logger,
            what: "pull \(plan.reference)"
        ) { lease in
            try await pull(lease: lease)
        }
    }

    private func pull(lease: String) async throws -> Berth_Services_Images_V1_PullResult {
        let access = stores.content.access(namespace: plan.namespace, lease: lease)
        let tracker = PullProgressTracker(unpacking: plan.snapshotter != nil, emit: emit)
        let unpack = plan.snapshotter.map {
            StreamingUnpack(
                snapshotter: $0, content: access, leases: stores.leases, lease: lease, limits: stores.unpackLimits,
                logger: logger)
        }
        let sink = PullSink(tracker: tracker, unpack: unpack)
        let options = PullOptions(
            platform: plan.platform,
            progress: { event in
                tracker.handle(event)
                unpack?.observe(event)
            },
            layerSink: sink)
        let client = RegistryClient(
            configuration: .init(hosts: plan.hosts, credentials: plan.credentials, limits: stores.registryLimits),
            logger: logger)
        let pulled: PullResult
        do {
            pulled = try await download(
                client: client, access: PatientContent(inner: access), options: options, unpack: unpack)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        guard let image = pulled.images.first else {
            throw DaemonError.notFound("\(plan.reference): no image manifest for \(plan.platform.platform)")
        }

        var result = Berth_Services_Images_V1_PullResult()
        if let unpack, let snapshotter = plan.snapshotter {
            let chainID = try await unpack.finish(image: image)
            tracker.unpacked(image.manifest.layers)
            result.snapshotter = snapshotter.name
            result.chainID = chainID.string
        }

        let record = Image(name: pulled.name, target: pulled.target)
        let stored: Image
        do {
            stored = try stores.images.create(namespace: plan.namespace, record)
            result.created = true
            var event = Containerd_Services_Images_V1_ImageCreate()
            event.name = stored.name
            event.labels = stored.labels
            exchange.publishQuietly(namespace: plan.namespace, topic: "/images/create", event: event)
        } catch let error as any BerthError where error.code == .alreadyExists {
            stored = try stores.images.update(namespace: plan.namespace, record, fieldPaths: ["target"])
            var event = Containerd_Services_Images_V1_ImageUpdate()
            event.name = stored.name
            event.labels = stored.labels
            exchange.publishQuietly(namespace: plan.namespace, topic: "/images/update", event: event)
        }
        result.name = stored.name
        result.target = Containerd_Types_Descriptor(stored.target)
        result.manifest = Containerd_Types_Descriptor(image.descriptor)
        result.config = Containerd_Types_Descriptor(image.manifest.config)
        logger.info(
            "pulled",
            metadata: [
                "image": "\(stored.name)", "digest": "\(stored.target.digest)", "namespace": "\(plan.namespace)",
                "chain": "\(result.chainID)",
            ])
        return result
    }

    /// The registry download, cancelled when the unpack fails or the caller
    /// goes away. An unpack error wins over the download error it caused.
    private func download(
        client: RegistryClient, access: PatientContent, options: PullOptions, unpack: StreamingUnpack?
    ) async throws -> PullResult {
        let reference = plan.reference
        let task = Task { try await client.pull(reference, into: access, options: options) }
        unpack?.onFailure { task.cancel() }
        do {
            let pulled = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
            try Task.checkCancellation()
            return pulled
        } catch {
            if let unpack, let unpackError = await unpack.abandon(error) {
                throw unpackError
            }
            throw error
        }
    }
}

/// The lease a pull or unpack writes under, so a concurrent GC keeps what
/// it wrote until the image record (and the config's snapshot label) does.
enum PullLease {
    /// How long the lease protects its content if berthd dies midway
    /// (containerd's client uses the same default).
    static let expiry: Duration = .seconds(24 * 3600)

    /// Runs `body` under a new lease and deletes the lease afterwards; on
    /// failure also runs `collect`, so nothing the failed work wrote stays.
    static func run<T: Sendable>(
        stores: PullService.Stores, namespace: String, collect: (@Sendable () throws -> Void)?, logger: Logger,
        what: String, _ body: (String) async throws -> T
    ) async throws -> T {
        let id = "berth-pull-\(Timestamp.now().nanoseconds)-\(UInt32.random(in: 0...UInt32.max))"
        let expiry = Timestamp.now().adding(Self.expiry)
        try stores.leases.create(namespace: namespace, id: id, labels: [Labels.gcExpire: expiry.rfc3339])
        func delete() {
            do {
                try stores.leases.delete(namespace: namespace, id: id)
            } catch {
                logger.warning("could not delete lease", metadata: ["lease": "\(id)", "error": "\(error)"])
            }
        }
        do {
            let result = try await body(id)
            delete()
            return result
        } catch {
            delete()
            if let collect {
                do {
                    try collect()
                } catch {
                    logger.warning("garbage collection after a failed \(what) failed: \(error)")
                }
            }
            logger.info("\(what) failed", metadata: ["namespace": "\(namespace)", "error": "\(error)"])
            throw error
        }
    }
}
