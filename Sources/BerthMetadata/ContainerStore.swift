internal import BerthErrors
internal import BerthOCI

/// Container records per namespace: Get, List, Create, Update, Delete with
/// containerd's validation and field masks.
public struct ContainerStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The container, or `.notFound`.
    public func get(namespace: String, id: String) throws -> Container {
        let container = try database.read { try $0.container(namespace: namespace, id: id) }
        guard let container else {
            throw MetadataError.notFound("container \"\(id)\" in namespace \"\(namespace)\": not found")
        }
        return container
    }

    /// Containers matching containerd filters, sorted by id.
    public func list(namespace: String, filters: [String] = []) throws -> [Container] {
        let filter = try Filter(parsing: filters)
        return try database.read { try $0.containers(namespace: namespace) }.filter { filter.matches($0) }
    }

    /// Creates a container record.
    ///
    /// - Throws: `.invalidArgument` (bad id, no runtime name, no spec, a
    ///   snapshot key without snapshotter, bad labels); `.alreadyExists`.
    @discardableResult
    public func create(namespace: String, _ container: Container) throws -> Container {
        try Self.validate(container)
        return try database.transaction { connection in
            try connection.ensureNamespace(namespace)
            if try connection.container(namespace: namespace, id: container.id) != nil {
                throw MetadataError.alreadyExists("container \"\(container.id)\": already exists")
            }
            var created = container
            created.createdAt = .now()
            created.updatedAt = created.createdAt
            try connection.writeContainer(namespace: namespace, created)
            return created
        }
    }

    /// Updates a container. Field paths: `labels`, `labels.<key>`, `spec`,
    /// `extensions`, `extensions.<key>`, `image`, `snapshotkey`. No paths
    /// update all of those, and then the snapshotter and runtime name must
    /// not change.
    ///
    /// - Throws: `.notFound`; `.invalidArgument` for another path, an
    ///   immutable change, or an invalid result.
    @discardableResult
    public func update(namespace: String, _ container: Container, fieldPaths: [String] = []) throws -> Container {
        guard !container.id.isEmpty else {
            throw MetadataError.invalid("must specify a container id")
        }
        return try database.transaction { connection in
            guard var updated = try connection.container(namespace: namespace, id: container.id) else {
                throw MetadataError.notFound("container \"\(container.id)\": not found")
            }
            var paths = fieldPaths
            if paths.isEmpty {
                paths = ["labels", "spec", "extensions", "image", "snapshotkey"]
                if updated.snapshotter != container.snapshotter {
                    throw MetadataError.invalid("container.Snapshotter field is immutable")
                }
                if updated.runtime.name != container.runtime.name {
                    throw MetadataError.invalid("container.Runtime.Name field is immutable")
                }
            }
            for path in paths {
                if path.hasPrefix("labels.") {
                    let key = String(path.dropFirst("labels.".count))
                    updated.labels[key] = container.labels[key]
                    continue
                }
                if path.hasPrefix("extensions.") {
                    let key = String(path.dropFirst("extensions.".count))
                    updated.extensions[key] = container.extensions[key]
                    continue
                }
                switch path {
                case "labels": updated.labels = container.labels
                case "spec": updated.spec = container.spec
                case "extensions": updated.extensions = container.extensions
                case "image": updated.image = container.image
                case "snapshotkey": updated.snapshotKey = container.snapshotKey
                default:
                    throw MetadataError.invalid("cannot update \"\(path)\" field on \"\(container.id)\"")
                }
            }
            updated.labels = updated.labels.filter { !$0.value.isEmpty }
            try Self.validate(updated)
            updated.updatedAt = .now()
            try connection.run("DELETE FROM containers WHERE namespace = ? AND id = ?", namespace, container.id)
            try connection.writeContainer(namespace: namespace, updated)
            return updated
        }
    }

    /// Deletes a container record.
    ///
    /// - Throws: `.notFound`.
    public func delete(namespace: String, id: String) throws {
        try database.transaction { connection in
            try connection.run("DELETE FROM containers WHERE namespace = ? AND id = ?", namespace, id)
            if connection.changes == 0 {
                throw MetadataError.notFound("container \"\(id)\": not found")
            }
        }
    }

    static func validate(_ container: Container) throws {
        do {
            try Identifier.validate(container.id)
        } catch let error as OCIError {
            throw MetadataError.invalid("container.ID: \(error.message)")
        }
        if container.extensions.keys.contains("") {
            throw MetadataError.invalid("container.Extension keys must not be zero-length")
        }
        try Labels.validate(container.labels)
        if container.runtime.name.isEmpty {
            throw MetadataError.invalid("container.Runtime.Name must be set")
        }
        if container.spec == nil {
            throw MetadataError.invalid("container.Spec must be set")
        }
        if !container.snapshotKey.isEmpty && container.snapshotter.isEmpty {
            throw MetadataError.invalid("container.Snapshotter must be set if container.SnapshotKey is set")
        }
    }
}

extension Connection {
    /// The container, or nil.
    public func container(namespace: String, id: String) throws -> Container? {
        try containers(namespace: namespace, id: id).first
    }

    /// Every container in `namespace` (or just `id`), sorted by id.
    public func containers(namespace: String, id: String? = nil) throws -> [Container] {
        let labels = try LabelTable.containers.readAll(self, namespace: namespace)
        var extensions: [String: [String: TypedValue]] = [:]
        let rows = try query(
            "SELECT container, name, type_url, value FROM container_extensions WHERE namespace = ?", namespace
        ) { ($0.text(0), $0.text(1), TypedValue(typeURL: $0.text(2), value: $0.blob(3))) }
        for (container, name, value) in rows {
            extensions[container, default: [:]][name] = value
        }
        let columns = """
            SELECT id, image, runtime_name, runtime_options_type, runtime_options, spec_type, spec, snapshotter,
                snapshot_key, created_at, updated_at FROM containers
            """
        let sql = columns + " WHERE namespace = ?" + (id == nil ? "" : " AND id = ?") + " ORDER BY id"
        var arguments: [SQLValue] = [.text(namespace)]
        if let id { arguments.append(.text(id)) }
        return try query(sql, arguments: arguments) { row in
            let id = row.text(0)
            let options = row.optionalText(3).map { TypedValue(typeURL: $0, value: row.blob(4)) }
            let spec = row.optionalText(5).map { TypedValue(typeURL: $0, value: row.blob(6)) }
            return Container(
                id: id, labels: labels[id] ?? [:], image: row.text(1),
                runtime: Container.Runtime(name: row.text(2), options: options), spec: spec,
                snapshotter: row.text(7), snapshotKey: row.text(8), createdAt: Timestamp(nanoseconds: row.int64(9)),
                updatedAt: Timestamp(nanoseconds: row.int64(10)), extensions: extensions[id] ?? [:])
        }
    }

    func writeContainer(namespace: String, _ container: Container) throws {
        try run(
            """
            INSERT INTO containers (namespace, id, image, runtime_name, runtime_options_type, runtime_options,
                spec_type, spec, snapshotter, snapshot_key, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            namespace, container.id, container.image, container.runtime.name, container.runtime.options?.typeURL,
            container.runtime.options?.value, container.spec?.typeURL, container.spec?.value, container.snapshotter,
            container.snapshotKey, container.createdAt.nanoseconds, container.updatedAt.nanoseconds)
        let owner: [SQLValue] = [.text(namespace), .text(container.id)]
        try LabelTable.containers.replace(self, owner: owner, with: container.labels)
        for (name, value) in container.extensions.sorted(by: { $0.key < $1.key }) {
            try run(
                "INSERT INTO container_extensions (namespace, container, name, type_url, value) VALUES (?, ?, ?, ?, ?)",
                namespace, container.id, name, value.typeURL, value.value)
        }
    }
}
