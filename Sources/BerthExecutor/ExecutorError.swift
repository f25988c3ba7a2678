public import BerthErrors

/// The one error type of `BerthExecutor`: an executor command that failed,
/// with what the executor said.
public struct ExecutorError: BerthError, Equatable {
    public var code: ErrorCode
    public var message: String

    /// Makes an error from its parts.
    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    /// The executor does not support the operation.
    static func unsupported(_ dialect: ExecutorDialect, _ verb: String) -> ExecutorError {
        ExecutorError(code: .notImplemented, message: "\(dialect.rawValue) does not support \(verb)")
    }
}
