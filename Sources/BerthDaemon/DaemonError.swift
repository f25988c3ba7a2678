import BerthErrors

/// The one error type of BerthDaemon: configuration, start-up and API
/// failures, each with the ``ErrorCode`` the gRPC layer reports.
public struct DaemonError: BerthError {
    public var code: ErrorCode
    public var message: String

    /// An error with `code` and a human-readable `message`.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalidArgument(_ message: String) -> Self { Self(.invalidArgument, message) }
    static func notFound(_ message: String) -> Self { Self(.notFound, message) }
    static func alreadyExists(_ message: String) -> Self { Self(.alreadyExists, message) }
    static func failedPrecondition(_ message: String) -> Self { Self(.failedPrecondition, message) }
    static func unavailable(_ message: String) -> Self { Self(.unavailable, message) }
    static func `internal`(_ message: String) -> Self { Self(.internal, message) }
}
