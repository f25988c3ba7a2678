import BerthErrors

/// The one error type of BerthRuntime (the daemon's task manager): bundle,
/// shim launch and shim call failures, each with the ``ErrorCode`` the gRPC
/// layer reports. Errors a shim returns keep the shim's code and message.
public struct RuntimeError: BerthError {
    public var code: ErrorCode
    public var message: String

    /// An error with `code` and a human-readable `message`.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The same error with `context` in front of the message.
    func prefixed(_ context: String) -> Self { Self(code, "\(context): \(message)") }

    static func invalidArgument(_ message: String) -> Self { Self(.invalidArgument, message) }
    static func notFound(_ message: String) -> Self { Self(.notFound, message) }
    static func alreadyExists(_ message: String) -> Self { Self(.alreadyExists, message) }
    static func failedPrecondition(_ message: String) -> Self { Self(.failedPrecondition, message) }
    static func unavailable(_ message: String) -> Self { Self(.unavailable, message) }
    static func `internal`(_ message: String) -> Self { Self(.internal, message) }
}
