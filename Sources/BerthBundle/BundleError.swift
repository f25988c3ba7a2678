public import BerthErrors

/// The one error type of BerthBundle: why a spec could not be generated or written.
public struct BundleError: BerthError, Equatable {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A bad option or image value: the caller can fix it.
    static func invalid(_ message: String) -> BundleError {
        BundleError(.invalidArgument, message)
    }

    /// Something named (a user, a group, a file) does not exist.
    static func notFound(_ message: String) -> BundleError {
        BundleError(.notFound, message)
    }

    /// A failure wrapped from another module's error, keeping its code.
    static func wrapping(_ error: any Error, _ context: String) -> BundleError {
        if let error = error as? BundleError {
            return BundleError(error.code, "\(context): \(error.message)")
        }
        if let error = error as? any BerthError {
            return BundleError(error.code, "\(context): \(error.message)")
        }
        return BundleError(.internal, "\(context): \(error)")
    }
}
