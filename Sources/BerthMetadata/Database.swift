internal import BerthErrors
internal import CSQLite
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The metadata database: one SQLite file in WAL mode with
/// `synchronous=FULL` and foreign keys on, behind one connection that a
/// `Mutex` serialises.
///
/// Every change runs inside `transaction { }` (`BEGIN IMMEDIATE`, so writers
/// take SQLite's write lock up front and a second process waits up to the busy
/// timeout instead of failing half-way). A SIGKILL at any instant leaves the
/// last committed state: WAL plus `synchronous=FULL` makes each commit durable
/// and atomic.
///
/// The closures get a `Connection`; do not call back into the same `Database`
/// from inside one (the lock is not re-entrant): pass the connection down.
public final class Database: Sendable {
    /// The database file.
    public let path: String
    let logger: Logger
    /// Guards `connection`: SQLite connections must not be used by two
    /// threads at once.
    private let lock = Mutex(())
    /// The thread id holding `lock`, or 0: turns a re-entrant call (which
    /// would deadlock) into an error.
    private let owner = Atomic<UInt>(0)
    private nonisolated(unsafe) let connection: Connection

    /// Opens (creating if needed) the database at `path` and applies any
    /// pending migrations.
    ///
    /// - Parameters:
    ///   - busyTimeout: how long a statement waits for another process's lock
    ///     before failing with `.unavailable`.
    ///   - migrations: the schema history (`Database.migrations` for the
    ///     metadata database; a component with its own file passes its own).
    /// - Throws: `MetadataError` (`.unavailable` if the file cannot be opened,
    ///   `.failedPrecondition` if the schema is newer than this build).
    public init(
        path: String,
        logger: Logger,
        busyTimeout: Duration = .seconds(10),
        migrations: [Migration] = Database.migrations
    ) throws {
        self.path = path
        self.logger = logger
        try Self.makeParentDirectory(of: path)
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let detail = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw MetadataError.sqlite(rc, "open \(path): \(detail)")
        }
        let connection = Connection(handle: handle)
        sqlite3_extended_result_codes(handle, 1)
        let milliseconds =
            busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(handle, Int32(clamping: milliseconds))
        let mode = try connection.queryFirst("PRAGMA journal_mode=WAL") { $0.text(0) }
        guard mode?.lowercased() == "wal" else {
            throw MetadataError(.internal, "sqlite: could not enable WAL on \(path) (journal_mode=\(mode ?? "nil"))")
        }
        try connection.run("PRAGMA synchronous=FULL")
        try connection.run("PRAGMA foreign_keys=ON")
        try Self.migrate(connection, migrations, logger: logger)
        self.connection = connection
    }

    /// Runs `body` in a read transaction: every query inside sees one
    /// consistent snapshot.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        try locked { try Self.inTransaction(connection, begin: "BEGIN DEFERRED", body) }
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`): committed if
    /// `body` returns, rolled back if it throws.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try locked { try Self.inTransaction(connection, begin: "BEGIN IMMEDIATE", body) }
    }

    /// Runs `PRAGMA integrity_check` and `PRAGMA foreign_key_check`.
    ///
    /// - Returns: the problems found; empty when the database is consistent.
    public func integrityCheck() throws -> [String] {
        try locked {
            var problems = try connection.query("PRAGMA integrity_check") { $0.text(0) }
            if problems == ["ok"] {
                problems = []
            }
            problems += try connection.query("PRAGMA foreign_key_check") { row in
                "foreign key violation: table \(row.text(0)) rowid \(row.int64(1)) references \(row.text(2))"
            }
            return problems
        }
    }

    /// The versions recorded in the `migrations` table, ascending.
    public func appliedMigrations() throws -> [Int] {
        try read { connection in
            try connection.query("SELECT version FROM migrations ORDER BY version") { $0.int(0) }
        }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        let thread = UInt(pthread_self())
        if owner.load(ordering: .relaxed) == thread {
            throw MetadataError(
                .internal, "re-entrant use of the metadata database: pass the Connection down instead")
        }
        return try lock.withLock { _ in
            owner.store(thread, ordering: .relaxed)
            defer { owner.store(0, ordering: .relaxed) }
            return try body()
        }
    }

    static func inTransaction<T>(_ connection: Connection, begin: String, _ body: (Connection) throws -> T) throws -> T
    {
        try connection.run(begin)
        do {
            let result = try body(connection)
            try connection.run("COMMIT")
            return result
        } catch {
            if connection.isInTransaction {
                try? connection.run("ROLLBACK")
            }
            throw error
        }
    }

    private static func makeParentDirectory(of path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        var current = ""
        for component in path[..<slash].split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                let code = errno
                throw MetadataError(.internal, "mkdir \(current): \(String(cString: strerror(code)))")
            }
        }
    }
}
