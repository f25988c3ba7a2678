public import BerthErrors
internal import CSQLite

/// The one error type of the metadata module: SQLite failures mapped onto
/// `ErrorCode`, plus the store-level errors (not found, already exists,
/// invalid argument) that the API layer returns as gRPC statuses.
public struct MetadataError: BerthError {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    static func notFound(_ message: String) -> MetadataError {
        MetadataError(.notFound, message)
    }

    static func alreadyExists(_ message: String) -> MetadataError {
        MetadataError(.alreadyExists, message)
    }

    static func invalid(_ message: String) -> MetadataError {
        MetadataError(.invalidArgument, message)
    }
}

extension MetadataError {
    /// Builds an error from an SQLite (extended) result code.
    ///
    /// `SQLITE_BUSY`/`SQLITE_LOCKED` → unavailable (retry later);
    /// unique and primary key constraint violations → alreadyExists;
    /// foreign key violations → failedPrecondition; other constraints →
    /// invalidArgument; `SQLITE_FULL` → resourceExhausted; corruption →
    /// dataLoss; permission problems → permissionDenied; anything else → internal.
    static func sqlite(_ resultCode: Int32, _ detail: String, sql: String? = nil) -> MetadataError {
        let primary = resultCode & 0xFF
        let code: ErrorCode
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED:
            code = .unavailable
        case SQLITE_CONSTRAINT:
            switch resultCode {
            case SQLiteCode.constraintUnique, SQLiteCode.constraintPrimaryKey:
                code = .alreadyExists
            case SQLiteCode.constraintForeignKey:
                code = .failedPrecondition
            default:
                code = .invalidArgument
            }
        case SQLITE_FULL:
            code = .resourceExhausted
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            code = .dataLoss
        case SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH:
            code = .permissionDenied
        case SQLITE_CANTOPEN:
            code = .unavailable
        default:
            code = .internal
        }
        var message = "sqlite: \(detail) (code \(resultCode))"
        if let sql {
            message += " in \"\(sql.prefix(200))\""
        }
        return MetadataError(code, message)
    }
}

/// Extended result codes, which are C macros Swift cannot import.
enum SQLiteCode {
    static let constraintForeignKey: Int32 = SQLITE_CONSTRAINT | (3 << 8)
    static let constraintPrimaryKey: Int32 = SQLITE_CONSTRAINT | (6 << 8)
    static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)
}
