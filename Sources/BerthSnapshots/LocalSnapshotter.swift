import BerthMetadata
public import Logging
import BerthErrors
import BerthSystem
import CBerthSys
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The snapshotters that keep snapshots in directories under one root:
/// `overlayfs` (the default) and `native` (a full copy per snapshot, the
/// fallback where overlayfs is unavailable).
///
/// Layout: `<root>/metadata.db` (SQLite, `SnapshotSchema`) and
/// `<root>/snapshots/<id>/fs` (plus `work` for overlay).
public final class LocalSnapshotter: Snapshotter, Sendable {
    /// How snapshots are stored and mounted.
    public enum Driver: String, Sendable, Hashable {
        /// Each snapshot's `fs` holds its own changes; mounts stack them with overlayfs.
        case overlayfs
        /// Each snapshot's `fs` is a full copy of its parent plus its changes; mounts are binds.
        case native

        /// overlayfs when the kernel has it and `root` is not itself on
        /// overlayfs (overlay cannot use an overlay upper directory); native otherwise.
        public static func detect(root: String) -> Driver {
            guard let text = try? HostFile.read("/proc/filesystems"), text.contains("\toverlay\n") else {
                return .native
            }
            var probe = root
            while true {
                var type: Int64 = 0
                if berth_statfs_type(probe, &type) == 0 {
                    return type == berth_OVERLAYFS_SUPER_MAGIC ? .native : .overlayfs
                }
                let (parent, _) = FileTree.split(probe)
                if parent == probe { return .overlayfs }
                probe = parent
            }
        }
    }

    /// The storage driver.
    public let driver: Driver
    /// The snapshotter's root directory.
    public let root: String
    let database: Database
    let logger: Logger
    /// Whether overlay mounts get `index=off` (the kernel has the index feature).
    let overlayIndexOff: Bool
    /// Temporary directories being filled right now, which `cleanup()` must keep.
    let inFlight = Mutex<Set<String>>([])

    /// Opens (creating if needed) the snapshotter at `root`.
    ///
    /// - Throws: `SnapshotError` if the root or its database cannot be created.
    public init(driver: Driver, root: String, logger: Logger) throws {
        self.driver = driver
        self.root = root
        self.logger = logger
        try snapshotErrors("create snapshotter root \(root)") {
            try FileTree.makeDirectories(root, mode: 0o700)
            try FileTree.makeDirectories(root + "/snapshots", mode: 0o700)
        }
        self.database = try snapshotErrors("open snapshot metadata in \(root)") {
            try Database(path: root + "/metadata.db", logger: logger, migrations: SnapshotSchema.migrations)
        }
        self.overlayIndexOff = access("/sys/module/overlay/parameters/index", F_OK) == 0
    }

    /// `overlayfs` or `native`.
    public var name: String { driver.rawValue }

    /// True for overlayfs: each snapshot's `fs` holds only its own layer.
    public var storesDiffs: Bool { driver == .overlayfs }

    /// The directory of the snapshot with `id`.
    func directory(_ id: Int64) -> String {
        "\(root)/snapshots/\(id)"
    }

    /// The content directory (`fs`) of the snapshot with `id`.
    func fsDirectory(_ id: Int64) -> String {
        "\(root)/snapshots/\(id)/fs"
    }

    // MARK: Reading

    public func stat(key: String, namespace: String = "default") throws -> SnapshotInfo {
        try snapshotErrors("stat snapshot \(key)") {
            try database.read { connection in
                let row = try Self.require(connection, namespace, key)
                return row.info(labels: try connection.snapshotLabels(id: row.id))
            }
        }
    }

    public func update(_ info: SnapshotInfo, fieldPaths: [String] = [], namespace: String = "default")
        throws -> SnapshotInfo
    {
        var paths = fieldPaths
        if paths.isEmpty {
            paths = ["labels"]
        }
        for path in paths where path != "labels" && !path.hasPrefix("labels.") {
            throw SnapshotError.invalid("cannot update \(path) field on snapshot \(info.name)")
        }
        return try snapshotErrors("update snapshot \(info.name)") {
            try database.transaction { connection in
                let row = try Self.require(connection, namespace, info.name)
                var labels = try connection.snapshotLabels(id: row.id)
                for path in paths {
                    if path == "labels" {
                        labels = info.labels
                    } else {
                        let key = String(path.dropFirst("labels.".count))
                        labels[key] = info.labels[key].flatMap { $0.isEmpty ? nil : $0 }
                    }
                }
                try Labels.validate(labels)
                try connection.replaceSnapshotLabels(id: row.id, labels)
                let now = Timestamp.now()
                try connection.run("UPDATE snapshots SET updated_at = ? WHERE id = ?", now.nanoseconds, row.id)
                var updated = row
                updated.updatedAt = now
                return updated.info(labels: labels.filter { !$0.value.isEmpty })
            }
        }
    }

    public func usage(key: String, namespace: String = "default") throws -> SnapshotUsage {
        let row = try snapshotErrors("usage of snapshot \(key)") {
            try database.read { try Self.require($0, namespace, key) }
        }
        if row.kind == .committed {
            return SnapshotUsage(size: row.size, inodes: row.inodes)
        }
        let measured = try snapshotErrors("usage of snapshot \(key)") { try FileTree.usage(path: fsDirectory(row.id)) }
        return SnapshotUsage(size: measured.size, inodes: measured.inodes)
    }

    public func walk(filters: [String] = [], namespace: String = "default", _ body: (SnapshotInfo) throws -> Void)
        throws
    {
        let filter = try snapshotErrors("parse snapshot filters") { try Filter(parsing: filters) }
        let infos = try snapshotErrors("list snapshots") {
            try database.read { connection in
                let labels = try connection.allSnapshotLabels()
                return try connection.snapshots(namespace: namespace).map { $0.info(labels: labels[$0.id] ?? [:]) }
            }
        }
        for info in infos where filter.matches(info) {
            try body(info)
        }
    }

    public func layerDirectories(key: String, namespace: String = "default") throws -> [String] {
        try snapshotErrors("layers of snapshot \(key)") {
            try database.read { connection in
                let row = try Self.require(connection, namespace, key)
                switch driver {
                case .native:
                    return [fsDirectory(row.id)]
                case .overlayfs:
                    return [fsDirectory(row.id)]
                        + (try connection.snapshotAncestors(of: row)).map { fsDirectory($0.id) }
                }
            }
        }
    }

    public func diffTarget(key: String, namespace: String = "default") throws -> DiffTarget {
        try snapshotErrors("diff target of snapshot \(key)") {
            try database.read { connection in
                let row = try Self.require(connection, namespace, key)
                guard row.kind == .active else {
                    throw SnapshotError.precondition("snapshot \(key) is \(row.kind), not active")
                }
                switch driver {
                case .native:
                    return DiffTarget(directory: fsDirectory(row.id), lowerDirectories: [], whiteouts: .delete)
                case .overlayfs:
                    let lowers = try connection.snapshotAncestors(of: row).map { fsDirectory($0.id) }
                    return DiffTarget(directory: fsDirectory(row.id), lowerDirectories: lowers, whiteouts: .overlay)
                }
            }
        }
    }

    static func require(_ connection: Connection, _ namespace: String, _ key: String) throws -> SnapshotRow {
        guard let row = try connection.snapshot(namespace: namespace, key: key) else {
            throw SnapshotError.notFound("snapshot \(key) does not exist")
        }
        return row
    }
}

/// Reads small host files (/proc, /sys).
enum HostFile {
    static func read(_ path: String) throws(SystemError) -> String {
        let fd = FileDescriptor(try posix(open(path, O_RDONLY | O_CLOEXEC), "open(\(path))"))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd.raw, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(call: "read(\(path))", errno: errno)
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
