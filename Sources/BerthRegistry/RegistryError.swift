public import BerthErrors

/// The one error type of the registry client and the image archive code.
///
/// HTTP statuses map onto codes as containerd's resolver reports them:
/// 401 and 403 are `.permissionDenied`, 404 is `.notFound`, 429 and 5xx are
/// `.unavailable`; content that does not match its descriptor is
/// `.failedPrecondition`; a document over its size limit is `.resourceExhausted`.
public struct RegistryError: BerthError {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalid(_ message: String) -> RegistryError {
        RegistryError(.invalidArgument, message)
    }

    /// The error for an unexpected HTTP status, with the registry's error body if any.
    static func http(status: Int, _ what: String, detail: String?) -> RegistryError {
        let code: ErrorCode =
            switch status {
            case 400: .invalidArgument
            case 401, 403: .permissionDenied
            case 404: .notFound
            case 405: .notImplemented
            case 409: .alreadyExists
            case 412: .failedPrecondition
            case 416: .outOfRange
            case 429, 500...599: .unavailable
            default: .unknown
            }
        var message = "\(what): HTTP \(status)"
        if let detail, !detail.isEmpty {
            message += ": \(detail)"
        }
        return RegistryError(code, message)
    }

    /// Re-wraps any error with context, keeping a Berth error's code.
    static func wrap(_ error: any Error, _ context: String) -> RegistryError {
        if let error = error as? RegistryError {
            return RegistryError(error.code, "\(context): \(error.message)")
        }
        if let error = error as? any BerthError {
            return RegistryError(error.code, "\(context): \(error.message)")
        }
        return RegistryError(.unavailable, "\(context): \(error)")
    }
}
