import BerthErrors

/// containerd's snapshotter model: committed snapshots named by chain ID,
/// active (writable) and view (read-only) snapshots prepared on a committed
/// parent, keys and labels per namespace.
///
/// Errors follow containerd: `.notFound` for a missing key or parent,
/// `.alreadyExists` for a taken key or name, `.invalidArgument` for a parent
/// that is not committed, `.failedPrecondition` for committing a non-active
/// snapshot, asking mounts of a committed one, or removing one that has
/// children.
public protocol Snapshotter: Sendable {
    /// The snapshotter's name: `overlayfs` or `native`.
    var name: String { get }

    /// True when a snapshot's directory holds only its own changes (overlay),
    /// so layers can be applied in parallel into parentless active
    /// snapshots and attached to their parents by `commitDiff`.
    var storesDiffs: Bool { get }

    /// The snapshot's metadata.
    func stat(key: String, namespace: String) throws -> SnapshotInfo

    /// Updates labels: `fieldPaths` `labels` or `labels.<key>`; none means
    /// replace all labels. Other paths are `.invalidArgument`.
    func update(_ info: SnapshotInfo, fieldPaths: [String], namespace: String) throws -> SnapshotInfo

    /// Disk usage of the snapshot's own directory (recorded at commit for
    /// committed snapshots, measured now for others).
    func usage(key: String, namespace: String) throws -> SnapshotUsage

    /// The mounts of an active or view snapshot.
    func mounts(key: String, namespace: String) throws -> [Mount]

    /// Creates an active snapshot on `parent` (a committed snapshot, or nil).
    func prepare(key: String, parent: String?, labels: [String: String], namespace: String) throws
        -> [Mount]

    /// Creates a read-only view of `parent`.
    func view(key: String, parent: String?, labels: [String: String], namespace: String) throws
        -> [Mount]

    /// Turns the active snapshot `key` into the committed snapshot `name`
    /// (with `labels`); `key` is gone afterwards.
    func commit(name: String, key: String, labels: [String: String], namespace: String) throws

    /// Commits an active snapshot prepared without a parent as a child of the
    /// committed `parent`. Only for snapshotters with `storesDiffs`.
    func commitDiff(name: String, key: String, parent: String?, labels: [String: String], namespace: String)
        throws

    /// Removes a snapshot that has no children.
    func remove(key: String, namespace: String) throws

    /// Calls `body` for each snapshot in `namespace` matching `filters`
    /// (containerd syntax; fields `kind`, `name`, `parent`, `labels.<key>`).
    func walk(filters: [String], namespace: String, _ body: (SnapshotInfo) throws -> Void) throws

    /// Removes directories that have no metadata (crash leftovers).
    /// Returns the paths removed.
    @discardableResult
    func cleanup() throws -> [String]

    /// Where a layer is applied for the active snapshot `key`.
    func diffTarget(key: String, namespace: String) throws -> DiffTarget

    /// The directories making up the snapshot `key`'s content, newest first
    /// (its own and its ancestors' for overlay; its own for native).
    func layerDirectories(key: String, namespace: String) throws -> [String]
}

extension Snapshotter {
    /// The snapshots in `namespace` matching `filters`.
    public func list(filters: [String] = [], namespace: String) throws -> [SnapshotInfo] {
        var result: [SnapshotInfo] = []
        try walk(filters: filters, namespace: namespace) { result.append($0) }
        return result
    }

    /// Whether `key` exists in `namespace`.
    public func exists(key: String, namespace: String) throws -> Bool {
        do {
            _ = try stat(key: key, namespace: namespace)
            return true
        } catch let error as SnapshotError where error.code == .notFound {
            return false
        }
    }
}
