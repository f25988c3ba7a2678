public import BerthErrors

/// The one error type of the content store. Metadata failures arrive as
/// `MetadataError`; both conform to `BerthError`.
public struct ContentError: BerthError {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A failed system call, with its errno mapped onto a code.
    static func system(_ call: String, _ path: String, errno code: Int32) -> ContentError {
        let errorCode: ErrorCode
        switch code {
        case ENOENT: errorCode = .notFound
        case EEXIST: errorCode = .alreadyExists
        case EACCES, EPERM, EROFS: errorCode = .permissionDenied
        case ENOSPC, EDQUOT: errorCode = .resourceExhausted
        case EWOULDBLOCK: errorCode = .unavailable
        default: errorCode = .internal
        }
        return ContentError(errorCode, "\(call) \(path): \(String(cString: strerror(code)))")
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
