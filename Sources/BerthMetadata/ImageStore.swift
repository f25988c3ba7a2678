internal import BerthErrors
internal import BerthOCI
internal import FoundationEssentials

/// Images per namespace: Get, List, Create, Update, Delete with containerd's
/// semantics. Garbage collection after a delete lives in `BerthGC`
/// (`GarbageCollector.deleteImage(namespace:name:sync:)`).
public struct ImageStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The image, or `.notFound`.
    public func get(namespace: String, name: String) throws -> Image {
        let image = try database.read { try $0.image(namespace: namespace, name: name) }
        guard let image else {
            throw MetadataError.notFound("image \"\(name)\": not found")
        }
        return image
    }

    /// Images matching containerd filters (`name`, `target.digest`,
    /// `target.mediatype`, `labels.<key>`, `annotations.<key>`), sorted by name.
    ///
    /// - Throws: `.invalidArgument` for a bad filter.
    public func list(namespace: String, filters: [String] = []) throws -> [Image] {
        let filter = try Filter(parsing: filters)
        return try database.read { try $0.images(namespace: namespace) }.filter { filter.matches($0) }
    }

    /// Creates an image; sets its created and updated times.
    ///
    /// - Throws: `.invalidArgument` for an empty name, an invalid target
    ///   (size ≤ 0, no media type) or bad labels; `.alreadyExists`.
    @discardableResult
    public func create(namespace: String, _ image: Image) throws -> Image {
        try Self.validate(image)
        return try database.transaction { connection in
            try connection.ensureNamespace(namespace)
            if try connection.image(namespace: namespace, name: image.name) != nil {
                throw MetadataError.alreadyExists("image \"\(image.name)\": already exists")
            }
            var created = image
            created.labels = image.labels.filter { !$0.value.isEmpty }
            created.createdAt = .now()
            created.updatedAt = created.createdAt
            try connection.writeImage(namespace: namespace, created)
            return created
        }
    }

    /// Updates an image. Field paths: `labels`, `labels.<key>`, `target`
    /// (replaced whole), `annotations`, `annotations.<key>` (the target's).
    /// No paths replace everything but `createdAt`.
    ///
    /// - Throws: `.notFound`; `.invalidArgument` for another path or an invalid result.
    @discardableResult
    public func update(namespace: String, _ image: Image, fieldPaths: [String] = []) throws -> Image {
        guard !image.name.isEmpty else {
            throw MetadataError.invalid("image name is required")
        }
        return try database.transaction { connection in
            guard let current = try connection.image(namespace: namespace, name: image.name) else {
                throw MetadataError.notFound("image \"\(image.name)\": not found")
            }
            var updated = current
            if fieldPaths.isEmpty {
                updated.target = image.target
                updated.labels = image.labels
            }
            for path in fieldPaths {
                if path == "labels" || path.hasPrefix("labels.") {
                    updated.labels = Labels.apply(fieldPaths: [path], from: image.labels, to: updated.labels)
                } else if path == "target" {
                    updated.target = image.target
                } else if path == "annotations" {
                    updated.target.annotations = image.target.annotations
                } else if path.hasPrefix("annotations.") {
                    let key = String(path.dropFirst("annotations.".count))
                    updated.target.setAnnotation(key, image.target.annotation(key))
                } else {
                    throw MetadataError.invalid("cannot update \(path) field on image \"\(image.name)\"")
                }
            }
            updated.labels = updated.labels.filter { !$0.value.isEmpty }
            try Self.validate(updated)
            updated.updatedAt = .now()
            try connection.run("DELETE FROM image_labels WHERE namespace = ? AND image = ?", namespace, image.name)
            try connection.writeImage(namespace: namespace, updated, replacing: true)
            return updated
        }
    }

    /// Deletes an image. Its content stays until the next garbage collection.
    ///
    /// - Throws: `.notFound`.
    public func delete(namespace: String, name: String) throws {
        try database.transaction { connection in
            try connection.run("DELETE FROM images WHERE namespace = ? AND name = ?", namespace, name)
            if connection.changes == 0 {
                throw MetadataError.notFound("image \"\(name)\": not found")
            }
        }
    }

    static func validate(_ image: Image) throws {
        guard !image.name.isEmpty else {
            throw MetadataError.invalid("image name is required")
        }
        guard image.target.size > 0 else {
            throw MetadataError.invalid("image \"\(image.name)\": target size must be greater than zero")
        }
        guard !image.target.mediaType.rawValue.isEmpty else {
            throw MetadataError.invalid("image \"\(image.name)\": target mediatype must be set")
        }
        try Labels.validate(image.labels)
    }
}

extension Connection {
    /// The image, or nil.
    public func image(namespace: String, name: String) throws -> Image? {
        let image = try queryFirst(
            "SELECT target_json, created_at, updated_at FROM images WHERE namespace = ? AND name = ?", namespace, name
        ) { row in
            Image(
                name: name, target: try Self.decodeTarget(row.blob(0)),
                createdAt: Timestamp(nanoseconds: row.int64(1)), updatedAt: Timestamp(nanoseconds: row.int64(2)))
        }
        guard var image else { return nil }
        image.labels = try LabelTable.images.read(self, owner: [.text(namespace), .text(name)])
        return image
    }

    /// Every image in `namespace`, sorted by name.
    public func images(namespace: String) throws -> [Image] {
        let labels = try LabelTable.images.readAll(self, namespace: namespace)
        return try query(
            "SELECT name, target_json, created_at, updated_at FROM images WHERE namespace = ? ORDER BY name", namespace
        ) { row in
            let name = row.text(0)
            return Image(
                name: name, target: try Self.decodeTarget(row.blob(1)), labels: labels[name] ?? [:],
                createdAt: Timestamp(nanoseconds: row.int64(2)), updatedAt: Timestamp(nanoseconds: row.int64(3)))
        }
    }

    func writeImage(namespace: String, _ image: Image, replacing: Bool = false) throws {
        let json = Array(try JSONEncoder().encode(image.target))
        try run(
            """
            INSERT \(replacing ? "OR REPLACE " : "")INTO images (namespace, name, target_media_type, target_digest,
                target_size, target_json, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            namespace, image.name, image.target.mediaType.rawValue, image.target.digest.string, image.target.size,
            json, image.createdAt.nanoseconds, image.updatedAt.nanoseconds)
        try LabelTable.images.replace(self, owner: [.text(namespace), .text(image.name)], with: image.labels)
    }

    static func decodeTarget(_ bytes: [UInt8]) throws -> Descriptor {
        do {
            return try JSONDecoder().decode(Descriptor.self, from: Data(bytes))
        } catch {
            throw MetadataError(.dataLoss, "stored image target does not decode: \(error)")
        }
    }
}
