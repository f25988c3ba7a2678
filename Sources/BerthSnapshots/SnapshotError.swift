public import BerthErrors
import BerthSystem

/// The one error type of BerthSnapshots.
public struct SnapshotError: BerthError {
    public var code: ErrorCode
    public var message: String

    /// Creates an error with a code and a human-readable message.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    static func notFound(_ message: String) -> SnapshotError {
        SnapshotError(.notFound, message)
    }

    static func alreadyExists(_ message: String) -> SnapshotError {
        SnapshotError(.alreadyExists, message)
    }

    static func invalid(_ message: String) -> SnapshotError {
        SnapshotError(.invalidArgument, message)
    }

    static func precondition(_ message: String) -> SnapshotError {
        SnapshotError(.failedPrecondition, message)
    }

    /// Wraps another module's error (a metadata or system error), keeping its code.
    static func wrapping(_ error: any Error, _ context: String) -> SnapshotError {
        if let snapshot = error as? SnapshotError {
            return snapshot
        }
        if let berth = error as? any BerthError {
            return SnapshotError(berth.code, "\(context): \(berth.message)")
        }
        return SnapshotError(.unknown, "\(context): \(error)")
    }
}

/// Runs `body`, turning any error into a `SnapshotError` with `context`.
func snapshotErrors<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws(SnapshotError) -> T {
    do {
        return try body()
    } catch {
        throw SnapshotError.wrapping(error, context())
    }
}
