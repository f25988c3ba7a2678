public import BerthContent
internal import BerthErrors
public import BerthMetadata
internal import BerthOCI
public import Logging
import Synchronization

/// Mark-and-sweep garbage collection over content, leases, ingests and
/// snapshots, with containerd's roots and gc labels.
///
/// Roots, per namespace:
/// - images: their target, plus the `containerd.io/gc.ref.*` labels on the image;
/// - leases that have not expired (`containerd.io/gc.expire`): their content,
///   ingest and snapshot resources (with `containerd.io/gc.flat`, without
///   following references);
/// - blobs and snapshots labelled `containerd.io/gc.root`;
/// - containers: their snapshot and gc labels.
///
/// References: a blob's `containerd.io/gc.ref.content.*` and
/// `containerd.io/gc.ref.snapshot.<snapshotter>` labels; for index and
/// manifest blobs, the manifests, config and layers they list (read from the
/// content store, so images pulled without gc labels are still kept whole); a
/// snapshot's parent and its gc labels.
///
/// Sweep: blob records nobody reaches are removed from their namespace, then
/// blob files no namespace records are deleted, expired leases are deleted,
/// and abandoned ingests (not leased, idle longer than `ingestGracePeriod`,
/// not locked by a writer) are aborted, all inside one metadata transaction.
/// Snapshots nobody reaches are then removed through their `SnapshotCollector`,
/// children first.
public final class GarbageCollector: Sendable {
    public let database: Database
    public let content: ContentStore
    public let snapshotters: [any SnapshotCollector]
    /// Ingests idle for less than this are kept even without a lease.
    public let ingestGracePeriod: Duration
    let logger: Logger
    private let running = Mutex(())

    /// The largest blob parsed as a manifest or index while marking.
    static let maxManifestSize: Int64 = 8 << 20

    public init(
        database: Database, content: ContentStore, snapshotters: [any SnapshotCollector] = [],
        ingestGracePeriod: Duration = .seconds(3600), logger: Logger
    ) {
        self.database = database
        self.content = content
        self.snapshotters = snapshotters
        self.ingestGracePeriod = ingestGracePeriod
        self.logger = logger
    }

    /// Runs one collection now and reports what it removed. Collections are
    /// serialised.
    @discardableResult
    public func collect() throws -> GCReport {
        try running.withLock { _ in
            let clock = ContinuousClock()
            let start = clock.now
            var report = GCReport()
            report.startedAt = .now()
            let doomed = try database.transaction { connection in
                try markAndSweep(connection, report: &report)
            }
            removeSnapshots(doomed, report: &report)
            report.duration = clock.now - start
            logger.info(
                "garbage collection done",
                metadata: [
                    "content": "\(report.content.count)", "blobs": "\(report.blobs.count)",
                    "snapshots": "\(report.snapshots.count)", "leases": "\(report.leases.count)",
                    "ingests": "\(report.ingests.count)", "duration": "\(report.duration)",
                ])
            return report
        }
    }

    /// Deletes an image; with `sync`, collects garbage before returning
    /// (containerd's `Delete{sync: true}`). Without, the caller schedules a
    /// collection when it likes.
    ///
    /// - Throws: `.notFound` for an unknown image.
    @discardableResult
    public func deleteImage(namespace: String, name: String, sync: Bool) throws -> GCReport? {
        try ImageStore(database: database).delete(namespace: namespace, name: name)
        return sync ? try collect() : nil
    }
}
