import BerthMetadata

/// The snapshotter's own metadata schema, kept in `<root>/metadata.db`
/// (one database per snapshotter root, apart from berthd's metadata).
///
/// A snapshot's directory is `<root>/snapshots/<id>`; ids come from
/// AUTOINCREMENT and are never reused, so a directory whose id has no row
/// is a crash leftover that `cleanup()` may remove.
enum SnapshotSchema {
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "snapshots and their labels",
            sql: """
                CREATE TABLE snapshots (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    namespace TEXT NOT NULL,
                    key TEXT NOT NULL,
                    parent INTEGER REFERENCES snapshots (id),
                    kind INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    size INTEGER NOT NULL DEFAULT 0,
                    inodes INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (namespace, key)
                );
                CREATE INDEX snapshots_by_parent ON snapshots (parent);
                CREATE TABLE snapshot_labels (
                    snapshot INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (snapshot, key)
                ) WITHOUT ROWID;
                """)
    ]
}

/// One row of `snapshots`, with its parent's key.
struct SnapshotRow: Sendable {
    var id: Int64
    var namespace: String
    var key: String
    var parentID: Int64?
    var parentKey: String?
    var kind: SnapshotKind
    var createdAt: Timestamp
    var updatedAt: Timestamp
    var size: Int64
    var inodes: Int64

    static let columns = """
        s.id, s.namespace, s.key, s.parent, p.key, s.kind, s.created_at, s.updated_at, s.size, s.inodes
        FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent
        """

    init(_ row: Row) {
        id = row.int64(0)
        namespace = row.text(1)
        key = row.text(2)
        parentID = row.isNull(3) ? nil : row.int64(3)
        parentKey = row.optionalText(4)
        kind = SnapshotKind(rawValue: row.int(5)) ?? .active
        createdAt = Timestamp(nanoseconds: row.int64(6))
        updatedAt = Timestamp(nanoseconds: row.int64(7))
        size = row.int64(8)
        inodes = row.int64(9)
    }

    func info(labels: [String: String]) -> SnapshotInfo {
        SnapshotInfo(
            name: key, parent: parentKey, kind: kind, labels: labels, createdAt: createdAt, updatedAt: updatedAt)
    }
}

extension Connection {
    func snapshot(namespace: String, key: String) throws -> SnapshotRow? {
        try queryFirst("SELECT \(SnapshotRow.columns) WHERE s.namespace = ? AND s.key = ?", namespace, key) {
            SnapshotRow($0)
        }
    }

    func snapshot(id: Int64) throws -> SnapshotRow? {
        try queryFirst("SELECT \(SnapshotRow.columns) WHERE s.id = ?", id) { SnapshotRow($0) }
    }

    func snapshots(namespace: String?) throws -> [SnapshotRow] {
        if let namespace {
            return try query("SELECT \(SnapshotRow.columns) WHERE s.namespace = ? ORDER BY s.id", namespace) {
                SnapshotRow($0)
            }
        }
        return try query("SELECT \(SnapshotRow.columns) ORDER BY s.id") { SnapshotRow($0) }
    }

    func snapshotLabels(id: Int64) throws -> [String: String] {
        let pairs = try query("SELECT key, value FROM snapshot_labels WHERE snapshot = ?", id) {
            ($0.text(0), $0.text(1))
        }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    func allSnapshotLabels() throws -> [Int64: [String: String]] {
        var result: [Int64: [String: String]] = [:]
        let rows = try query("SELECT snapshot, key, value FROM snapshot_labels") {
            ($0.int64(0), $0.text(1), $0.text(2))
        }
        for (id, key, value) in rows {
            result[id, default: [:]][key] = value
        }
        return result
    }

    func replaceSnapshotLabels(id: Int64, _ labels: [String: String]) throws {
        try run("DELETE FROM snapshot_labels WHERE snapshot = ?", id)
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            try run("INSERT INTO snapshot_labels (snapshot, key, value) VALUES (?, ?, ?)", id, key, value)
        }
    }

    func snapshotChildCount(id: Int64) throws -> Int {
        try queryFirst("SELECT COUNT(*) FROM snapshots WHERE parent = ?", id) { $0.int(0) } ?? 0
    }

    /// The ancestors of a snapshot, nearest first.
    func snapshotAncestors(of row: SnapshotRow) throws -> [SnapshotRow] {
        var result: [SnapshotRow] = []
        var next = row.parentID
        while let id = next, let parent = try snapshot(id: id) {
            result.append(parent)
            next = parent.parentID
        }
        return result
    }

    func allSnapshotIDs() throws -> Set<Int64> {
        Set(try query("SELECT id FROM snapshots") { $0.int64(0) })
    }
}
