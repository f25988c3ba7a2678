public import BerthMetadata
import BerthErrors
import Logging
import Synchronization

extension LocalSnapshotter {
    /// Removes every directory under `<root>/snapshots` that no snapshot
    /// owns: those of snapshots whose metadata was removed but whose files
    /// were not, and half-created ones from a crash. Returns the paths removed.
    @discardableResult
    public func cleanup() throws -> [String] {
        let ids = try snapshotErrors("cleanup") { try database.read { try $0.allSnapshotIDs() } }
        let base = root + "/snapshots"
        let names = try snapshotErrors("list \(base)") {
            let directory = try FileDescriptor.openDirectory(path: base)
            return try FileTree.names(in: directory.raw)
        }
        let busy = inFlight.withLock { $0 }
        var removed: [String] = []
        for name in names {
            let text = name.displayName
            let path = base + "/" + text
            if let id = Int64(text), ids.contains(id) { continue }
            if busy.contains(path) { continue }
            do {
                try FileTree.remove(path: path)
                removed.append(path)
            } catch {
                logger.warning("cleanup could not remove \(path)", metadata: ["error": "\(error)"])
            }
        }
        if !removed.isEmpty {
            logger.info("removed snapshot directories without metadata", metadata: ["count": "\(removed.count)"])
        }
        return removed
    }
}

extension LocalSnapshotter: SnapshotCollector {
    public var snapshotterName: String { name }

    public func walkSnapshots() throws -> [SnapshotRecord] {
        try database.read { connection in
            let labels = try connection.allSnapshotLabels()
            return try connection.snapshots(namespace: nil).map {
                SnapshotRecord(namespace: $0.namespace, key: $0.key, parent: $0.parentKey, labels: labels[$0.id] ?? [:])
            }
        }
    }

    public func removeSnapshot(namespace: String, key: String) throws {
        do {
            try remove(key: key, namespace: namespace)
        } catch let error as SnapshotError where error.code == .notFound {
            return
        }
    }
}
