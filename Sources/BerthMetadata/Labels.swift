internal import BerthErrors
/// Label validation and the well-known containerd label keys.
public enum Labels {
    /// The maximum size of a label's key plus value, in bytes (containerd's limit).
    public static let maxSize = 4096

    /// Marks a lease, blob or snapshot as a GC root.
    public static let gcRoot = "containerd.io/gc.root"
    /// On a lease: RFC 3339 time after which the lease no longer protects anything.
    public static let gcExpire = "containerd.io/gc.expire"
    /// On a lease: resources it holds are kept, but their references are not followed.
    public static let gcFlat = "containerd.io/gc.flat"
    /// Prefix of labels whose value is a digest this object references
    /// (`containerd.io/gc.ref.content.config`, `.l.0`, `.m.1`, …).
    public static let gcRefContentPrefix = "containerd.io/gc.ref.content"
    /// Prefix of labels whose value is a snapshot key in the snapshotter named
    /// by the rest of the key (`containerd.io/gc.ref.snapshot.overlayfs`).
    public static let gcRefSnapshotPrefix = "containerd.io/gc.ref.snapshot."

    /// Throws unless every label is valid: a non-empty key, and key plus value
    /// at most `maxSize` bytes.
    ///
    /// - Throws: `MetadataError(.invalidArgument)`.
    public static func validate(_ labels: [String: String]) throws {
        for (key, value) in labels {
            try validate(key: key, value: value)
        }
    }

    /// Throws unless one label is valid.
    public static func validate(key: String, value: String) throws {
        if key.isEmpty {
            throw MetadataError.invalid("label key must not be empty")
        }
        if key.utf8.count + value.utf8.count > maxSize {
            throw MetadataError.invalid(
                "label key and value greater than maximum size (\(maxSize) bytes), key: \(key.prefix(64))")
        }
    }

    /// Applies a containerd field mask to labels: `labels` replaces them all
    /// with `new`, `labels.<key>` sets (or, with an empty or absent new value,
    /// removes) one key. Paths not starting with `labels` are left to the caller.
    public static func apply(
        fieldPaths paths: [String], from new: [String: String], to current: [String: String]
    ) -> [String: String] {
        var result = current
        for path in paths {
            if path == "labels" {
                result = new
            } else if path.hasPrefix("labels.") {
                let key = String(path.dropFirst("labels.".count))
                if let value = new[key], !value.isEmpty {
                    result[key] = value
                } else {
                    result[key] = nil
                }
            }
        }
        return result.filter { !$0.value.isEmpty }
    }
}

/// A label table keyed by an owner (namespace plus the owner's id columns).
struct LabelTable {
    let table: String
    let ownerColumns: [String]

    static let namespaces = LabelTable(table: "namespace_labels", ownerColumns: ["namespace"])
    static let images = LabelTable(table: "image_labels", ownerColumns: ["namespace", "image"])
    static let content = LabelTable(table: "content_labels", ownerColumns: ["namespace", "digest"])
    static let leases = LabelTable(table: "lease_labels", ownerColumns: ["namespace", "lease"])
    static let containers = LabelTable(table: "container_labels", ownerColumns: ["namespace", "container"])

    private var ownerCondition: String {
        ownerColumns.map { "\($0) = ?" }.joined(separator: " AND ")
    }

    func read(_ connection: Connection, owner: [SQLValue]) throws -> [String: String] {
        let pairs = try connection.query(
            "SELECT key, value FROM \(table) WHERE \(ownerCondition)", arguments: owner
        ) { ($0.text(0), $0.text(1)) }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// Reads the labels of every owner in a namespace at once, keyed by the
    /// second owner column.
    func readAll(_ connection: Connection, namespace: String) throws -> [String: [String: String]] {
        guard ownerColumns.count == 2 else { return [:] }
        var result: [String: [String: String]] = [:]
        let rows = try connection.query(
            "SELECT \(ownerColumns[1]), key, value FROM \(table) WHERE namespace = ?", namespace
        ) { ($0.text(0), $0.text(1), $0.text(2)) }
        for (owner, key, value) in rows {
            result[owner, default: [:]][key] = value
        }
        return result
    }

    func replace(_ connection: Connection, owner: [SQLValue], with labels: [String: String]) throws {
        try connection.run("DELETE FROM \(table) WHERE \(ownerCondition)", arguments: owner)
        let columns = (ownerColumns + ["key", "value"]).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: ownerColumns.count + 2).joined(separator: ", ")
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            try connection.run(
                "INSERT INTO \(table) (\(columns)) VALUES (\(placeholders))",
                arguments: owner + [.text(key), .text(value)])
        }
    }
}
