import BerthMetadata

extension LocalSnapshotter {
    public func mounts(key: String, namespace: String = "default") throws -> [Mount] {
        try snapshotErrors("mounts of snapshot \(key)") {
            try database.read { connection in
                let row = try Self.require(connection, namespace, key)
                guard row.kind != .committed else {
                    throw SnapshotError.precondition("snapshot \(key) is committed: it has no mounts")
                }
                return mounts(for: row, ancestors: try connection.snapshotAncestors(of: row))
            }
        }
    }

    /// The mounts of an active or view snapshot, shaped as containerd's
    /// overlay and native snapshotters shape them.
    func mounts(for row: SnapshotRow, ancestors: [SnapshotRow]) -> [Mount] {
        let access = row.kind == .view ? "ro" : "rw"
        switch driver {
        case .native:
            return [Mount(type: "bind", source: fsDirectory(row.id), options: [access, "rbind"])]
        case .overlayfs:
            if ancestors.isEmpty {
                return [Mount(type: "bind", source: fsDirectory(row.id), options: [access, "rbind"])]
            }
            if row.kind == .view, ancestors.count == 1 {
                return [Mount(type: "bind", source: fsDirectory(ancestors[0].id), options: ["ro", "rbind"])]
            }
            var options: [String] = []
            if overlayIndexOff {
                options.append("index=off")
            }
            if row.kind == .active {
                options.append("workdir=\(directory(row.id))/work")
                options.append("upperdir=\(fsDirectory(row.id))")
            }
            options.append("lowerdir=" + ancestors.map { fsDirectory($0.id) }.joined(separator: ":"))
            return [Mount(type: "overlay", source: "overlay", options: options)]
        }
    }
}
