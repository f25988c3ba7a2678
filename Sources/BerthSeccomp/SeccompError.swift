public import BerthErrors

/// The one error type of BerthSeccomp.
public struct SeccompError: BerthError, Equatable {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
