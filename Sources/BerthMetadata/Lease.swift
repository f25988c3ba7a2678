internal import BerthErrors
internal import BerthOCI

/// A lease: protects the resources attached to it from garbage collection
/// until it is deleted or its `containerd.io/gc.expire` time passes.
public struct Lease: Hashable, Sendable {
    public var id: String
    public var createdAt: Timestamp
    public var labels: [String: String]

    public init(id: String, createdAt: Timestamp = Timestamp(nanoseconds: 0), labels: [String: String] = [:]) {
        self.id = id
        self.createdAt = createdAt
        self.labels = labels
    }

    /// The expiry from `containerd.io/gc.expire`, or nil if none (or invalid,
    /// which containerd ignores).
    public var expiresAt: Timestamp? {
        labels[Labels.gcExpire].flatMap { Timestamp(rfc3339: $0) }
    }

    /// True if the lease has an expiry at or before `now`.
    public func isExpired(at now: Timestamp = .now()) -> Bool {
        expiresAt.map { $0 <= now } ?? false
    }
}

extension Lease: Filterable {
    /// Filter fields: `id`, `labels.<key>`.
    public func filterField(_ fieldPath: [String]) -> String? {
        switch fieldPath.first {
        case "id": fieldPath.count == 1 ? id : nil
        case "labels": Filter.lookup(fieldPath.dropFirst(), in: labels)
        default: nil
        }
    }
}

/// A resource held by a lease: `content` (id is a digest), `ingests` (id is
/// an ingest ref) or `snapshots/<snapshotter>` (id is a snapshot key).
public struct LeaseResource: Hashable, Sendable {
    public var id: String
    public var type: String

    public init(id: String, type: String) {
        self.id = id
        self.type = type
    }

    /// The resource type for content blobs.
    public static let contentType = "content"
    /// The resource type for content ingests.
    public static let ingestType = "ingests"

    /// The resource type for snapshots of `snapshotter`.
    public static func snapshotType(_ snapshotter: String) -> String {
        "snapshots/" + snapshotter
    }

    /// For a `snapshots/<name>` resource, the snapshotter name.
    public var snapshotter: String? {
        type.hasPrefix("snapshots/") ? String(type.dropFirst("snapshots/".count)) : nil
    }

    /// Checks the type and id as containerd does; returns the normalised resource.
    func validated() throws -> LeaseResource {
        let parts = type.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.first {
        case "content"?, "ingests"?:
            guard parts.count == 1 else {
                throw MetadataError.invalid("invalid resource type \(type)")
            }
            if type == Self.contentType {
                guard let digest = Digest(id) else {
                    throw MetadataError.invalid("invalid content resource id \(id)")
                }
                return LeaseResource(id: digest.string, type: type)
            }
        case "snapshots"?:
            guard parts.count == 2, !parts[1].isEmpty else {
                throw MetadataError.invalid("invalid snapshot resource type \(type)")
            }
        default:
            throw MetadataError(.notImplemented, "resource type \(type) not supported yet")
        }
        guard !id.isEmpty else {
            throw MetadataError.invalid("resource id must not be empty")
        }
        return self
    }
}

extension Connection {
    /// The lease, or nil if it does not exist in `namespace`.
    public func lease(namespace: String, id: String) throws -> Lease? {
        let createdAt = try queryFirst("SELECT created_at FROM leases WHERE namespace = ? AND id = ?", namespace, id) {
            Timestamp(nanoseconds: $0.int64(0))
        }
        guard let createdAt else { return nil }
        let labels = try LabelTable.leases.read(self, owner: [.text(namespace), .text(id)])
        return Lease(id: id, createdAt: createdAt, labels: labels)
    }

    /// Attaches a resource to a lease (idempotent).
    ///
    /// - Throws: `.notFound` "lease does not exist"; `.invalidArgument` or
    ///   `.notImplemented` for a bad resource.
    public func addLeaseResource(namespace: String, lease: String, _ resource: LeaseResource) throws {
        let resource = try resource.validated()
        guard try self.lease(namespace: namespace, id: lease) != nil else {
            throw MetadataError.notFound("lease \(lease): lease does not exist")
        }
        try run(
            "INSERT INTO lease_resources (namespace, lease, type, id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            namespace, lease, resource.type, resource.id)
    }

    /// Detaches a resource from a lease (no error if it was not attached).
    public func deleteLeaseResource(namespace: String, lease: String, _ resource: LeaseResource) throws {
        try run(
            "DELETE FROM lease_resources WHERE namespace = ? AND lease = ? AND type = ? AND id = ?",
            namespace, lease, resource.type, resource.id)
    }

    /// Every lease in `namespace`, sorted by id.
    public func leases(namespace: String) throws -> [Lease] {
        let labels = try LabelTable.leases.readAll(self, namespace: namespace)
        return try query("SELECT id, created_at FROM leases WHERE namespace = ? ORDER BY id", namespace) { row in
            let id = row.text(0)
            return Lease(id: id, createdAt: Timestamp(nanoseconds: row.int64(1)), labels: labels[id] ?? [:])
        }
    }

    /// The resources of a lease, sorted by type and id.
    public func leaseResources(namespace: String, lease: String) throws -> [LeaseResource] {
        try query(
            "SELECT id, type FROM lease_resources WHERE namespace = ? AND lease = ? ORDER BY type, id", namespace, lease
        ) { LeaseResource(id: $0.text(0), type: $0.text(1)) }
    }
}

/// Leases: create, delete, list, and their resources.
public struct LeaseStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Creates a lease. containerd clients generate the id; the returned lease
    /// is what the client must send in the `containerd-lease` header.
    ///
    /// - Throws: `.invalidArgument` for an empty id or bad labels, `.alreadyExists`.
    @discardableResult
    public func create(namespace: String, id: String, labels: [String: String] = [:]) throws -> Lease {
        guard !id.isEmpty else {
            throw MetadataError(.unknown, "lease id must not be empty")
        }
        try Labels.validate(labels)
        return try database.transaction { connection in
            try connection.ensureNamespace(namespace)
            let now = Timestamp.now()
            do {
                try connection.run(
                    "INSERT INTO leases (namespace, id, created_at) VALUES (?, ?, ?)", namespace, id, now.nanoseconds)
            } catch let error as MetadataError where error.code == .alreadyExists {
                throw MetadataError.alreadyExists("lease \(id): already exists")
            }
            try LabelTable.leases.replace(connection, owner: [.text(namespace), .text(id)], with: labels)
            return Lease(id: id, createdAt: now, labels: labels.filter { !$0.value.isEmpty })
        }
    }

    /// The lease, or `.notFound`.
    public func get(namespace: String, id: String) throws -> Lease {
        let lease = try database.read { try $0.lease(namespace: namespace, id: id) }
        guard let lease else { throw MetadataError.notFound("lease \(id): not found") }
        return lease
    }

    /// Deletes a lease and detaches its resources (which the next GC may collect).
    ///
    /// - Throws: `.notFound` for an unknown id.
    public func delete(namespace: String, id: String) throws {
        try database.transaction { connection in
            try connection.run("DELETE FROM leases WHERE namespace = ? AND id = ?", namespace, id)
            if connection.changes == 0 {
                throw MetadataError.notFound("lease \(id): not found")
            }
        }
    }

    /// Leases matching containerd filters (fields `id`, `labels.<key>`).
    public func list(namespace: String, filters: [String] = []) throws -> [Lease] {
        let filter = try Filter(parsing: filters)
        return try database.read { try $0.leases(namespace: namespace) }.filter { filter.matches($0) }
    }

    /// Attaches a resource to a lease.
    public func addResource(namespace: String, lease: String, _ resource: LeaseResource) throws {
        try database.transaction { try $0.addLeaseResource(namespace: namespace, lease: lease, resource) }
    }

    /// Detaches a resource from a lease.
    ///
    /// - Throws: `.notFound` for an unknown lease.
    public func deleteResource(namespace: String, lease: String, _ resource: LeaseResource) throws {
        try database.transaction { connection in
            guard try connection.lease(namespace: namespace, id: lease) != nil else {
                throw MetadataError.notFound("lease \(lease): not found")
            }
            try connection.deleteLeaseResource(namespace: namespace, lease: lease, resource)
        }
    }

    /// The resources of a lease.
    ///
    /// - Throws: `.notFound` for an unknown lease.
    public func listResources(namespace: String, lease: String) throws -> [LeaseResource] {
        try database.read { connection in
            guard try connection.lease(namespace: namespace, id: lease) != nil else {
                throw MetadataError.notFound("lease \(lease): not found")
            }
            return try connection.leaseResources(namespace: namespace, lease: lease)
        }
    }
}
