public import BerthMetadata

/// The kind of a snapshot, numbered as containerd's API numbers them.
public enum SnapshotKind: Int, Sendable, Hashable, CustomStringConvertible {
    /// A read-only snapshot of a committed parent.
    case view = 1
    /// A writable snapshot, to be committed or removed.
    case active = 2
    /// An immutable snapshot that others can use as a parent.
    case committed = 3

    /// The name used in filters and `ctr snapshots ls`.
    public var description: String {
        switch self {
        case .view: "view"
        case .active: "active"
        case .committed: "committed"
        }
    }
}

/// What `stat` reports about a snapshot.
public struct SnapshotInfo: Sendable, Hashable {
    /// The key (active or view) or name (committed).
    public var name: String
    /// The committed parent's name, if any.
    public var parent: String?
    /// View, active or committed.
    public var kind: SnapshotKind
    /// User labels (containerd's gc labels included).
    public var labels: [String: String]
    /// When the snapshot was prepared.
    public var createdAt: Timestamp
    /// When it was last committed or updated.
    public var updatedAt: Timestamp

    public init(
        name: String,
        parent: String? = nil,
        kind: SnapshotKind,
        labels: [String: String] = [:],
        createdAt: Timestamp = Timestamp(nanoseconds: 0),
        updatedAt: Timestamp = Timestamp(nanoseconds: 0)
    ) {
        self.name = name
        self.parent = parent
        self.kind = kind
        self.labels = labels
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension SnapshotInfo: Filterable {
    /// Filter fields, as containerd's snapshot adaptor: `kind`, `name`,
    /// `parent`, `labels.<key>`.
    public func filterField(_ fieldPath: [String]) -> String? {
        guard let first = fieldPath.first else { return nil }
        switch first {
        case "kind": return kind.description
        case "name": return name
        case "parent": return parent
        case "labels": return Filter.lookup(fieldPath.dropFirst(), in: labels)
        default: return nil
        }
    }
}

/// Disk usage of a snapshot's own directory.
public struct SnapshotUsage: Sendable, Hashable {
    /// Bytes allocated on disk (blocks × 512, each inode counted once).
    public var size: Int64
    /// Distinct inodes.
    public var inodes: Int64

    public init(size: Int64 = 0, inodes: Int64 = 0) {
        self.size = size
        self.inodes = inodes
    }
}

/// Where a layer diff is applied for an active snapshot, without mounting it.
public struct DiffTarget: Sendable, Hashable {
    /// How deletions are written.
    public enum Whiteouts: Sendable, Hashable {
        /// Overlay form: a char device 0/0 per deleted name and the
        /// `trusted.overlay.opaque=y` xattr on opaque directories.
        case overlay
        /// Deletions are applied: the named files are removed.
        case delete
    }

    /// The directory entries are written into (the upper dir, or a full copy).
    public var directory: String
    /// The directories of the committed parents, newest first, that the
    /// merged view consults below `directory` (empty for full copies).
    public var lowerDirectories: [String]
    /// How deletions are written into `directory`.
    public var whiteouts: Whiteouts

    public init(directory: String, lowerDirectories: [String], whiteouts: Whiteouts) {
        self.directory = directory
        self.lowerDirectories = lowerDirectories
        self.whiteouts = whiteouts
    }
}
