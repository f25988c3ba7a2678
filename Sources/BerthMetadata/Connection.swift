internal import BerthErrors
internal import CSQLite

/// One SQLite connection. Only reachable inside `Database.read` and
/// `Database.transaction` closures, which hold the database's lock; never
/// store it or let it escape.
public final class Connection {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        for statement in statements.values {
            sqlite3_finalize(statement)
        }
        sqlite3_close_v2(handle)
    }

    /// Runs one statement that returns no rows (or whose rows are ignored).
    public func run(_ sql: String, _ arguments: any SQLBindable...) throws {
        try run(sql, arguments: arguments.map(\.sqlValue))
    }

    /// Runs one statement with an argument array.
    public func run(_ sql: String, arguments: [SQLValue]) throws {
        try withStatement(sql, arguments) { statement in
            while try step(statement, sql) {}
        }
    }

    /// Runs a statement and maps every row it returns.
    public func query<T>(_ sql: String, _ arguments: any SQLBindable..., row: (Row) throws -> T) throws -> [T] {
        try query(sql, arguments: arguments.map(\.sqlValue), row: row)
    }

    /// Runs a statement with an argument array and maps every row it returns.
    public func query<T>(_ sql: String, arguments: [SQLValue], row: (Row) throws -> T) throws -> [T] {
        try withStatement(sql, arguments) { statement in
            var results: [T] = []
            while try step(statement, sql) {
                results.append(try row(Row(statement: statement)))
            }
            return results
        }
    }

    /// Runs a statement and maps its first row, or returns nil if there is none.
    public func queryFirst<T>(_ sql: String, _ arguments: any SQLBindable..., row: (Row) throws -> T) throws -> T? {
        try withStatement(sql, arguments.map(\.sqlValue)) { statement in
            guard try step(statement, sql) else { return nil }
            return try row(Row(statement: statement))
        }
    }

    /// Runs several `;`-separated statements without arguments (migrations).
    public func execute(script sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let detail = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw MetadataError.sqlite(rc, detail, sql: sql)
        }
    }

    /// The number of rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int {
        Int(sqlite3_changes(handle))
    }

    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool {
        sqlite3_get_autocommit(handle) == 0
    }

    var lastErrorMessage: String {
        String(cString: sqlite3_errmsg(handle))
    }

    // MARK: Statements

    private func withStatement<R>(_ sql: String, _ arguments: [SQLValue], _ body: (OpaquePointer) throws -> R) throws
        -> R
    {
        let statement = try prepare(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(arguments, to: statement, sql: sql)
        return try body(statement)
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] {
            return cached
        }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw MetadataError.sqlite(rc, lastErrorMessage, sql: sql)
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ arguments: [SQLValue], to statement: OpaquePointer, sql: String) throws {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == arguments.count else {
            throw MetadataError(
                .internal, "statement expects \(expected) arguments, got \(arguments.count): \(sql)")
        }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null:
                rc = sqlite3_bind_null(statement, index)
            case .integer(let number):
                rc = sqlite3_bind_int64(statement, index, number)
            case .real(let number):
                rc = sqlite3_bind_double(statement, index, number)
            case .text(let string):
                rc = sqlite3_bind_text(statement, index, string, -1, berth_sqlite_transient())
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { buffer in
                    // A zero-length blob must not be bound as NULL.
                    sqlite3_bind_blob64(
                        statement, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(buffer.count),
                        berth_sqlite_transient())
                }
            }
            if rc != SQLITE_OK {
                throw MetadataError.sqlite(rc, lastErrorMessage, sql: sql)
            }
        }
    }

    /// Steps once; true if a row is available, false when done.
    private func step(_ statement: OpaquePointer, _ sql: String) throws -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            throw MetadataError.sqlite(sqlite3_extended_errcode(handle), lastErrorMessage, sql: sql)
        }
    }
}

/// The current row of a running query; valid only inside the row closure.
public struct Row {
    let statement: OpaquePointer

    /// The number of columns.
    public var count: Int { Int(sqlite3_column_count(statement)) }

    /// True if column `index` is NULL.
    public func isNull(_ index: Int) -> Bool {
        sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL
    }

    /// Column `index` as an integer (NULL reads as 0).
    public func int64(_ index: Int) -> Int64 {
        sqlite3_column_int64(statement, Int32(index))
    }

    /// Column `index` as an `Int` (NULL reads as 0).
    public func int(_ index: Int) -> Int {
        Int(sqlite3_column_int64(statement, Int32(index)))
    }

    /// Column `index` as a boolean (non-zero is true).
    public func bool(_ index: Int) -> Bool {
        sqlite3_column_int64(statement, Int32(index)) != 0
    }

    /// Column `index` as text (NULL reads as "").
    public func text(_ index: Int) -> String {
        optionalText(index) ?? ""
    }

    /// Column `index` as text, or nil for NULL.
    public func optionalText(_ index: Int) -> String? {
        guard let pointer = sqlite3_column_text(statement, Int32(index)) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Column `index` as bytes (NULL reads as []).
    public func blob(_ index: Int) -> [UInt8] {
        optionalBlob(index) ?? []
    }

    /// Column `index` as bytes, or nil for NULL.
    public func optionalBlob(_ index: Int) -> [UInt8]? {
        if isNull(index) { return nil }
        let count = Int(sqlite3_column_bytes(statement, Int32(index)))
        guard count > 0, let pointer = sqlite3_column_blob(statement, Int32(index)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
