/// One snapshot as the garbage collector sees it.
public struct SnapshotRecord: Hashable, Sendable {
    /// The namespace the snapshot belongs to.
    public var namespace: String
    /// The snapshot key (committed name or active key), unique per namespace
    /// and snapshotter.
    public var key: String
    /// The key of the parent snapshot, if any.
    public var parent: String?
    /// The snapshot's labels; `containerd.io/gc.root`,
    /// `containerd.io/gc.ref.content.*` and `containerd.io/gc.ref.snapshot.<name>`
    /// are honoured.
    public var labels: [String: String]

    public init(namespace: String, key: String, parent: String? = nil, labels: [String: String] = [:]) {
        self.namespace = namespace
        self.key = key
        self.parent = parent
        self.labels = labels
    }
}

/// What a snapshotter implements so the garbage collector (`BerthGC`) can
/// remove the snapshots nothing references.
///
/// GC marks snapshots reachable from its roots: containers' `snapshotter` +
/// `snapshotKey`, unexpired leases' `snapshots/<name>` resources, the
/// `containerd.io/gc.ref.snapshot.<name>` labels on images, content and
/// containers, snapshots labelled `containerd.io/gc.root`, and the parent of
/// every marked snapshot. Everything else reported by `walkSnapshots()` is
/// removed, children before parents.
///
/// To avoid racing a collection, add the snapshot to a lease
/// (`LeaseStore.addResource`) *before* preparing it, as containerd clients do.
public protocol SnapshotCollector: Sendable {
    /// The snapshotter's name as it appears in lease resource types
    /// (`snapshots/<name>`) and gc labels, e.g. `overlayfs` or `native`.
    var snapshotterName: String { get }

    /// Every snapshot in every namespace. Called inside the collection's
    /// metadata transaction; must not call back into the metadata `Database`.
    func walkSnapshots() throws -> [SnapshotRecord]

    /// Removes one snapshot that GC found unreferenced. Called after the
    /// snapshot's children (if any) were removed. A snapshot that vanished
    /// meanwhile should not be an error.
    func removeSnapshot(namespace: String, key: String) throws
}
