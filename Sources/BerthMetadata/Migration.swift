internal import BerthErrors
internal import Logging

/// One step of the schema history. Versions increase by one; a migration
/// never changes once released: add a new one instead.
public struct Migration: Sendable {
    /// The schema version this migration produces.
    public let version: Int
    /// A short description, recorded with the version.
    public let name: String
    /// The SQL to run, possibly several statements.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

extension Database {
    /// Creates the `migrations` table if needed and runs every migration newer
    /// than the recorded version, each in its own transaction, so a crash
    /// leaves the schema at a whole version.
    static func migrate(_ connection: Connection, _ migrations: [Migration], logger: Logger) throws {
        try connection.run(
            """
            CREATE TABLE IF NOT EXISTS migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at INTEGER NOT NULL
            )
            """)
        let known = migrations.map(\.version).max() ?? 0
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw MetadataError(
                .internal, "migration \(migration.name) has version \(migration.version), want \(index + 1)")
        }
        try inTransaction(connection, begin: "BEGIN IMMEDIATE") { connection in
            let current = try connection.queryFirst("SELECT MAX(version) FROM migrations") { $0.int(0) } ?? 0
            if current > known {
                throw MetadataError(
                    .failedPrecondition,
                    "metadata schema version \(current) is newer than this build understands (\(known))")
            }
        }
        for migration in migrations {
            try inTransaction(connection, begin: "BEGIN IMMEDIATE") { connection in
                // Checked inside the transaction: another process may have just applied it.
                let applied = try connection.queryFirst(
                    "SELECT 1 FROM migrations WHERE version = ?", migration.version
                ) { _ in true }
                guard applied == nil else { return }
                logger.info(
                    "applying metadata migration",
                    metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                try connection.execute(script: migration.sql)
                try connection.run(
                    "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    migration.version, migration.name, Timestamp.now().nanoseconds)
            }
        }
    }
}
