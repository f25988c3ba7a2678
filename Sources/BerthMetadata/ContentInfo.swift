internal import BerthErrors
public import BerthOCI

/// What the metadata knows about one blob in one namespace.
public struct ContentInfo: Hashable, Sendable {
    public var digest: Digest
    public var size: Int64
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var labels: [String: String]

    public init(
        digest: Digest, size: Int64, createdAt: Timestamp = Timestamp(nanoseconds: 0),
        updatedAt: Timestamp = Timestamp(nanoseconds: 0), labels: [String: String] = [:]
    ) {
        self.digest = digest
        self.size = size
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.labels = labels
    }
}

extension ContentInfo: Filterable {
    /// Filter fields: `digest`, `size`, `labels.<key>`.
    public func filterField(_ fieldPath: [String]) -> String? {
        switch fieldPath.first {
        case "digest": fieldPath.count == 1 ? digest.string : nil
        case "size": fieldPath.count == 1 ? String(size) : nil
        case "labels": Filter.lookup(fieldPath.dropFirst(), in: labels)
        default: nil
        }
    }
}

/// Content records: a blob is visible in a namespace when it has a row there.
/// The bytes live once on disk (`BerthContent`), shared by every namespace.
extension Connection {
    /// The blob's record in `namespace`, or nil.
    public func contentInfo(namespace: String, digest: Digest) throws -> ContentInfo? {
        let record = try queryFirst(
            "SELECT size, created_at, updated_at FROM content WHERE namespace = ? AND digest = ?",
            namespace, digest.string
        ) { row in
            ContentInfo(
                digest: digest, size: row.int64(0), createdAt: Timestamp(nanoseconds: row.int64(1)),
                updatedAt: Timestamp(nanoseconds: row.int64(2)))
        }
        guard var info = record else { return nil }
        info.labels = try LabelTable.content.read(self, owner: [.text(namespace), .text(digest.string)])
        return info
    }

    /// Every blob visible in `namespace`, sorted by digest.
    public func listContent(namespace: String) throws -> [ContentInfo] {
        let labels = try LabelTable.content.readAll(self, namespace: namespace)
        return try query(
            "SELECT digest, size, created_at, updated_at FROM content WHERE namespace = ? ORDER BY digest", namespace
        ) { row in
            let string = row.text(0)
            let digest = try Digest(parsing: string)
            return ContentInfo(
                digest: digest, size: row.int64(1), createdAt: Timestamp(nanoseconds: row.int64(2)),
                updatedAt: Timestamp(nanoseconds: row.int64(3)), labels: labels[string] ?? [:])
        }
    }

    /// Records a blob in `namespace` (creating the namespace if needed).
    ///
    /// - Throws: `.alreadyExists` if the namespace already has it.
    public func insertContent(namespace: String, digest: Digest, size: Int64, labels: [String: String]) throws {
        try Labels.validate(labels)
        try ensureNamespace(namespace)
        let now = Timestamp.now().nanoseconds
        do {
            try run(
                "INSERT INTO content (namespace, digest, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                namespace, digest.string, size, now, now)
        } catch let error as MetadataError where error.code == .alreadyExists {
            throw MetadataError.alreadyExists("content \(digest): already exists")
        }
        try LabelTable.content.replace(self, owner: [.text(namespace), .text(digest.string)], with: labels)
    }

    /// Replaces a blob's labels and bumps its update time.
    public func setContentLabels(namespace: String, digest: Digest, labels: [String: String]) throws {
        try Labels.validate(labels)
        try LabelTable.content.replace(self, owner: [.text(namespace), .text(digest.string)], with: labels)
        try run(
            "UPDATE content SET updated_at = ? WHERE namespace = ? AND digest = ?", Timestamp.now().nanoseconds,
            namespace, digest.string)
    }

    /// Removes a blob's record from `namespace`; true if there was one.
    @discardableResult
    public func deleteContent(namespace: String, digest: Digest) throws -> Bool {
        try run("DELETE FROM content WHERE namespace = ? AND digest = ?", namespace, digest.string)
        return changes > 0
    }

    /// True if any namespace still records the blob.
    public func isContentReferenced(_ digest: Digest) throws -> Bool {
        try queryFirst("SELECT 1 FROM content WHERE digest = ? LIMIT 1", digest.string) { _ in true } ?? false
    }

    /// The digests recorded in any namespace.
    public func allContentDigests() throws -> Set<String> {
        Set(try query("SELECT DISTINCT digest FROM content") { $0.text(0) })
    }
}
