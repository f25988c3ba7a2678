public import BerthMetadata
public import BerthOCI

/// What one collection removed.
public struct GCReport: Sendable, Hashable {
    /// A blob record removed from a namespace.
    public struct ContentRecord: Sendable, Hashable {
        public var namespace: String
        public var digest: Digest

        public init(namespace: String, digest: Digest) {
            self.namespace = namespace
            self.digest = digest
        }
    }

    /// A snapshot removed through its `SnapshotCollector`.
    public struct SnapshotKey: Sendable, Hashable {
        public var namespace: String
        public var snapshotter: String
        public var key: String

        public init(namespace: String, snapshotter: String, key: String) {
            self.namespace = namespace
            self.snapshotter = snapshotter
            self.key = key
        }
    }

    /// Blob records removed from namespaces.
    public var content: [ContentRecord] = []
    /// Blob files deleted from disk (no namespace records them any more).
    public var blobs: [Digest] = []
    /// Snapshots removed.
    public var snapshots: [SnapshotKey] = []
    /// Snapshots whose removal failed (they stay for the next collection).
    public var snapshotFailures: [SnapshotKey] = []
    /// Expired leases deleted, as `namespace/id`.
    public var leases: [String] = []
    /// Abandoned ingests aborted, as `namespace/ref`.
    public var ingests: [String] = []
    /// When the collection started and how long it took.
    public var startedAt = Timestamp(nanoseconds: 0)
    public var duration: Duration = .zero

    public init() {}
}
