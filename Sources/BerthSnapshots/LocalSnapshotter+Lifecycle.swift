import BerthErrors
import BerthMetadata
import BerthSystem
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension LocalSnapshotter {
    public func prepare(
        key: String, parent: String? = nil, labels: [String: String] = [:], namespace: String = "default"
    ) throws -> [Mount] {
        try create(.active, key: key, parent: parent, labels: labels, namespace: namespace)
    }

    public func view(
        key: String, parent: String? = nil, labels: [String: String] = [:], namespace: String = "default"
    ) throws -> [Mount] {
        try create(.view, key: key, parent: parent, labels: labels, namespace: namespace)
    }

    public func commit(name: String, key: String, labels: [String: String] = [:], namespace: String = "default")
        throws
    {
        try commit(name: name, key: key, newParent: nil, labels: labels, namespace: namespace)
    }

    public func commitDiff(
        name: String, key: String, parent: String?, labels: [String: String] = [:], namespace: String = "default"
    ) throws {
        guard storesDiffs else {
            throw SnapshotError(.notImplemented, "the \(self.name) snapshotter cannot attach a parent at commit")
        }
        try commit(name: name, key: key, newParent: .some(parent), labels: labels, namespace: namespace)
    }

    public func remove(key: String, namespace: String = "default") throws {
        let id: Int64 = try snapshotErrors("remove snapshot \(key)") {
            try database.transaction { connection in
                let row = try Self.require(connection, namespace, key)
                if try connection.snapshotChildCount(id: row.id) > 0 {
                    throw SnapshotError.precondition("cannot remove snapshot \(key) with child")
                }
                try connection.run("DELETE FROM snapshots WHERE id = ?", row.id)
                return row.id
            }
        }
        do {
            try FileTree.remove(path: directory(id))
        } catch {
            // The metadata is gone; cleanup() removes the directory later.
            logger.warning(
                "could not remove snapshot directory",
                metadata: ["key": "\(key)", "path": "\(directory(id))", "error": "\(error)"])
        }
    }

    // MARK: Creating

    private func create(
        _ kind: SnapshotKind, key: String, parent: String?, labels: [String: String], namespace: String
    ) throws -> [Mount] {
        guard !key.isEmpty else {
            throw SnapshotError.invalid("snapshot key must not be empty")
        }
        try snapshotErrors("labels of snapshot \(key)") { try Labels.validate(labels) }
        let parentRow: SnapshotRow? = try snapshotErrors("prepare snapshot \(key)") {
            try database.read { connection in
                if try connection.snapshot(namespace: namespace, key: key) != nil {
                    throw SnapshotError.alreadyExists("snapshot \(key) already exists")
                }
                return try parent.map { try Self.committedParent(connection, namespace, $0) }
            }
        }
        let temporary = try makeTemporaryDirectory(copying: parentRow)
        defer { _ = inFlight.withLock { $0.remove(temporary) } }
        do {
            return try database.transaction { connection in
                if try connection.snapshot(namespace: namespace, key: key) != nil {
                    throw SnapshotError.alreadyExists("snapshot \(key) already exists")
                }
                let parentNow = try parent.map { try Self.committedParent(connection, namespace, $0) }
                guard parentNow?.id == parentRow?.id else {
                    throw SnapshotError(.aborted, "parent \(parent ?? "") of \(key) changed while preparing")
                }
                let now = Timestamp.now().nanoseconds
                try connection.run(
                    """
                    INSERT INTO snapshots (namespace, key, parent, kind, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, namespace, key, parentRow?.id, kind.rawValue, now, now)
                guard let row = try connection.snapshot(namespace: namespace, key: key) else {
                    throw SnapshotError(.internal, "snapshot \(key) vanished after insert")
                }
                try connection.replaceSnapshotLabels(id: row.id, labels)
                // A leftover directory with a fresh id can only be debris of a
                // transaction that never committed.
                try FileTree.remove(path: directory(row.id))
                try posix(rename(temporary, directory(row.id)), "rename(\(temporary), \(directory(row.id)))")
                return try mounts(for: row, ancestors: connection.snapshotAncestors(of: row))
            }
        } catch {
            try? FileTree.remove(path: temporary)
            throw SnapshotError.wrapping(error, "prepare snapshot \(key)")
        }
    }

    /// Creates `<root>/snapshots/new-<random>/{fs,work}`, copying the parent's
    /// content into `fs` for the native driver, and registers it in `inFlight`.
    private func makeTemporaryDirectory(copying parent: SnapshotRow?) throws -> String {
        let path = "\(root)/snapshots/new-\(UInt64.random(in: 0...UInt64.max).hexadecimal)"
        inFlight.withLock { _ = $0.insert(path) }
        do {
            try posix(mkdir(path, 0o700), "mkdir(\(path))")
            try posix(mkdir(path + "/fs", 0o755), "mkdir(\(path)/fs)")
            switch driver {
            case .overlayfs:
                try posix(mkdir(path + "/work", 0o711), "mkdir(\(path)/work)")
                if let parent {
                    // As containerd does: the new upper root takes the parent's owner.
                    var status = Glibc.stat()
                    try posix(lstat(fsDirectory(parent.id), &status), "stat(\(fsDirectory(parent.id)))")
                    try posix(chown(path + "/fs", status.st_uid, status.st_gid), "chown(\(path)/fs)")
                }
            case .native:
                if let parent {
                    let source = try FileDescriptor.openDirectory(path: fsDirectory(parent.id))
                    let destination = try FileDescriptor.openDirectory(path: path + "/fs")
                    try FileTree.copyContents(of: source.raw, into: destination.raw)
                }
            }
            return path
        } catch {
            try? FileTree.remove(path: path)
            _ = inFlight.withLock { $0.remove(path) }
            throw SnapshotError.wrapping(error, "create snapshot directory")
        }
    }

    static func committedParent(_ connection: Connection, _ namespace: String, _ parent: String) throws -> SnapshotRow {
        guard let row = try connection.snapshot(namespace: namespace, key: parent) else {
            throw SnapshotError.notFound("parent snapshot \(parent) does not exist")
        }
        guard row.kind == .committed else {
            throw SnapshotError.invalid("parent snapshot \(parent) is \(row.kind), not committed")
        }
        return row
    }

    // MARK: Committing

    /// `newParent`: nil keeps the parent; `.some(p)` attaches `p` (or none)
    /// to a snapshot prepared without one.
    private func commit(
        name: String, key: String, newParent: String??, labels: [String: String], namespace: String
    ) throws {
        guard !name.isEmpty else {
            throw SnapshotError.invalid("snapshot name must not be empty")
        }
        try snapshotErrors("labels of snapshot \(name)") { try Labels.validate(labels) }
        let row = try snapshotErrors("commit snapshot \(key)") {
            try database.read { try Self.require($0, namespace, key) }
        }
        guard row.kind == .active else {
            throw SnapshotError.precondition("snapshot \(key) is \(row.kind), not active: cannot commit")
        }
        let usage = try snapshotErrors("usage of snapshot \(key)") { try FileTree.usage(path: fsDirectory(row.id)) }
        try snapshotErrors("commit snapshot \(key) as \(name)") {
            try database.transaction { connection in
                let current = try Self.require(connection, namespace, key)
                guard current.id == row.id, current.kind == .active else {
                    throw SnapshotError.precondition("snapshot \(key) changed while committing")
                }
                if try connection.snapshot(namespace: namespace, key: name) != nil {
                    throw SnapshotError.alreadyExists("snapshot \(name) already exists")
                }
                var parentID = current.parentID
                if let newParent {
                    guard current.parentID == nil else {
                        throw SnapshotError.precondition(
                            "snapshot \(key) already has parent \(current.parentKey ?? ""): cannot attach another")
                    }
                    parentID = try newParent.map { try Self.committedParent(connection, namespace, $0).id }
                }
                try connection.run(
                    """
                    UPDATE snapshots SET key = ?, kind = ?, parent = ?, updated_at = ?, size = ?, inodes = ?
                    WHERE id = ?
                    """, name, SnapshotKind.committed.rawValue, parentID, Timestamp.now().nanoseconds, usage.size,
                    usage.inodes, row.id)
                try connection.replaceSnapshotLabels(id: row.id, labels)
            }
        }
    }
}

extension UInt64 {
    /// Sixteen lowercase hex digits.
    var hexadecimal: String {
        let digits = String(self, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
