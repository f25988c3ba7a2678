public import BerthErrors

/// The one error type of the OCI models module.
public struct OCIError: BerthError {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalid(_ message: String) -> OCIError {
        OCIError(.invalidArgument, message)
    }
}
