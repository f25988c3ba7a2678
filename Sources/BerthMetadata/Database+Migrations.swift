// The schema history, oldest first. Never edit a released migration: append.
//
// Every table below `namespaces` is scoped by namespace; rows in child
// tables (labels, resources) cascade with their parent. Times are
// nanoseconds since the Unix epoch (see `Timestamp`).

extension Database {
    /// Every migration this build knows, in version order.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "namespaces, images, content, leases, containers",
            sql: """
                CREATE TABLE namespaces (
                    name TEXT PRIMARY KEY,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE namespace_labels (
                    namespace TEXT NOT NULL REFERENCES namespaces (name) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (namespace, key)
                ) WITHOUT ROWID;

                CREATE TABLE images (
                    namespace TEXT NOT NULL REFERENCES namespaces (name),
                    name TEXT NOT NULL,
                    target_media_type TEXT NOT NULL,
                    target_digest TEXT NOT NULL,
                    target_size INTEGER NOT NULL,
                    target_json BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (namespace, name)
                ) WITHOUT ROWID;
                CREATE INDEX images_by_target ON images (target_digest);
                CREATE TABLE image_labels (
                    namespace TEXT NOT NULL,
                    image TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (namespace, image, key),
                    FOREIGN KEY (namespace, image) REFERENCES images (namespace, name) ON DELETE CASCADE
                ) WITHOUT ROWID;

                CREATE TABLE content (
                    namespace TEXT NOT NULL REFERENCES namespaces (name),
                    digest TEXT NOT NULL,
                    size INTEGER NOT NULL CHECK (size >= 0),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (namespace, digest)
                ) WITHOUT ROWID;
                CREATE INDEX content_by_digest ON content (digest);
                CREATE TABLE content_labels (
                    namespace TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (namespace, digest, key),
                    FOREIGN KEY (namespace, digest) REFERENCES content (namespace, digest) ON DELETE CASCADE
                ) WITHOUT ROWID;

                CREATE TABLE leases (
                    namespace TEXT NOT NULL REFERENCES namespaces (name),
                    id TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (namespace, id)
                ) WITHOUT ROWID;
                CREATE TABLE lease_labels (
                    namespace TEXT NOT NULL,
                    lease TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (namespace, lease, key),
                    FOREIGN KEY (namespace, lease) REFERENCES leases (namespace, id) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE lease_resources (
                    namespace TEXT NOT NULL,
                    lease TEXT NOT NULL,
                    type TEXT NOT NULL,
                    id TEXT NOT NULL,
                    PRIMARY KEY (namespace, lease, type, id),
                    FOREIGN KEY (namespace, lease) REFERENCES leases (namespace, id) ON DELETE CASCADE
                ) WITHOUT ROWID;

                CREATE TABLE containers (
                    namespace TEXT NOT NULL REFERENCES namespaces (name),
                    id TEXT NOT NULL,
                    image TEXT NOT NULL,
                    runtime_name TEXT NOT NULL,
                    runtime_options_type TEXT,
                    runtime_options BLOB,
                    spec_type TEXT,
                    spec BLOB,
                    snapshotter TEXT NOT NULL,
                    snapshot_key TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (namespace, id)
                ) WITHOUT ROWID;
                CREATE TABLE container_labels (
                    namespace TEXT NOT NULL,
                    container TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (namespace, container, key),
                    FOREIGN KEY (namespace, container) REFERENCES containers (namespace, id) ON DELETE CASCADE
                ) WITHOUT ROWID;
                CREATE TABLE container_extensions (
                    namespace TEXT NOT NULL,
                    container TEXT NOT NULL,
                    name TEXT NOT NULL,
                    type_url TEXT NOT NULL,
                    value BLOB NOT NULL,
                    PRIMARY KEY (namespace, container, name),
                    FOREIGN KEY (namespace, container) REFERENCES containers (namespace, id) ON DELETE CASCADE
                ) WITHOUT ROWID;
                """)
    ]
}
