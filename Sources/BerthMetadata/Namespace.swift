internal import BerthErrors
internal import BerthOCI

/// A namespace and its labels.
public struct Namespace: Hashable, Sendable {
    public var name: String
    public var labels: [String: String]

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels
    }
}

extension Connection {
    /// Creates the namespace if it does not exist: namespaces come into
    /// existence implicitly on the first write in them, as in containerd.
    ///
    /// - Throws: `MetadataError(.invalidArgument)` for an invalid name.
    public func ensureNamespace(_ name: String) throws {
        try NamespaceStore.validate(name)
        let now = Timestamp.now().nanoseconds
        try run(
            "INSERT INTO namespaces (name, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            name, now, now)
    }
}

/// Namespaces: create, get, list, update and delete.
public struct NamespaceStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    static func validate(_ name: String) throws {
        do {
            try Identifier.validate(name)
        } catch let error as OCIError {
            throw MetadataError.invalid("namespace \(error.message)")
        }
    }

    /// Creates a namespace.
    ///
    /// - Throws: `.alreadyExists` for a duplicate, `.invalidArgument` for a bad
    ///   name or labels.
    public func create(_ namespace: Namespace) throws {
        try Self.validate(namespace.name)
        try Labels.validate(namespace.labels)
        try database.transaction { connection in
            let now = Timestamp.now().nanoseconds
            do {
                try connection.run(
                    "INSERT INTO namespaces (name, created_at, updated_at) VALUES (?, ?, ?)", namespace.name, now, now)
            } catch let error as MetadataError where error.code == .alreadyExists {
                throw MetadataError.alreadyExists("namespace \(namespace.name): already exists")
            }
            try LabelTable.namespaces.replace(connection, owner: [.text(namespace.name)], with: namespace.labels)
        }
    }

    /// The namespace's labels. Like containerd, an unknown name is not an
    /// error: it reads as an empty namespace.
    public func get(_ name: String) throws -> Namespace {
        try database.read { connection in
            Namespace(name: name, labels: try LabelTable.namespaces.read(connection, owner: [.text(name)]))
        }
    }

    /// Every namespace, sorted by name.
    public func list() throws -> [Namespace] {
        try database.read { connection in
            let names = try connection.query("SELECT name FROM namespaces ORDER BY name") { $0.text(0) }
            return try names.map { name in
                Namespace(name: name, labels: try LabelTable.namespaces.read(connection, owner: [.text(name)]))
            }
        }
    }

    /// Updates labels. With `fieldPaths`, only `labels` and `labels.<key>`
    /// are accepted; without, all labels are replaced. Creates the namespace
    /// if needed.
    ///
    /// - Throws: `.invalidArgument` for another path or bad labels.
    @discardableResult
    public func update(_ namespace: Namespace, fieldPaths: [String] = []) throws -> Namespace {
        try Labels.validate(namespace.labels)
        for path in fieldPaths where path != "labels" && !path.hasPrefix("labels.") {
            throw MetadataError.invalid("cannot update \(path) field on namespace \(namespace.name)")
        }
        return try database.transaction { connection in
            try connection.ensureNamespace(namespace.name)
            let owner: [SQLValue] = [.text(namespace.name)]
            let current = try LabelTable.namespaces.read(connection, owner: owner)
            let labels =
                fieldPaths.isEmpty
                ? namespace.labels : Labels.apply(fieldPaths: fieldPaths, from: namespace.labels, to: current)
            try LabelTable.namespaces.replace(connection, owner: owner, with: labels)
            try connection.run(
                "UPDATE namespaces SET updated_at = ? WHERE name = ?", Timestamp.now().nanoseconds, namespace.name)
            return Namespace(name: namespace.name, labels: labels)
        }
    }

    /// Deletes an empty namespace.
    ///
    /// - Throws: `.notFound` for an unknown name; `.failedPrecondition` while
    ///   images, blobs, leases or containers remain in it. (Snapshots live in
    ///   the snapshotters; the caller checks them first.)
    public func delete(_ name: String) throws {
        try database.transaction { connection in
            let exists = try connection.queryFirst("SELECT 1 FROM namespaces WHERE name = ?", name) { _ in true }
            guard exists != nil else {
                throw MetadataError.notFound("namespace \(name): not found")
            }
            for (table, what) in [
                ("images", "images"), ("content", "blobs"), ("leases", "leases"), ("containers", "containers"),
            ] {
                let used = try connection.queryFirst("SELECT 1 FROM \(table) WHERE namespace = ? LIMIT 1", name) {
                    _ in true
                }
                if used != nil {
                    throw MetadataError(
                        .failedPrecondition, "namespace \(name) must be empty, but it still has \(what)")
                }
            }
            try connection.run("DELETE FROM namespaces WHERE name = ?", name)
        }
    }
}
