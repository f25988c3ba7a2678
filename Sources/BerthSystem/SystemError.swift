public import BerthErrors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one error type of BerthSystem: a failed system call, named, with its errno.
public struct SystemError: BerthError, Equatable {
    public var code: ErrorCode
    /// The C call that failed, for example `"pidfd_open"`.
    public var call: String
    /// The errno the call reported.
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
        self.code = Self.code(for: errno)
    }

    /// Builds the error from a `-errno` return value of a CBerthSys function.
    public init(call: String, negatedErrno: Int32) {
        self.init(call: call, errno: -negatedErrno)
    }

    public var message: String {
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }

    static func code(for errno: Int32) -> ErrorCode {
        switch errno {
        case ENOENT, ESRCH: .notFound
        case EEXIST: .alreadyExists
        case EACCES, EPERM: .permissionDenied
        case EINVAL, ENAMETOOLONG, ELOOP: .invalidArgument
        case EAGAIN, EBUSY: .unavailable
        case ENOSPC, EMFILE, ENFILE, ENOMEM: .resourceExhausted
        case ENOSYS, EOPNOTSUPP: .notImplemented
        case ETIMEDOUT: .deadlineExceeded
        case ECANCELED: .cancelled
        default: .internal
        }
    }
}

/// Turns a CBerthSys return value (a value, or `-errno`) into a value or a thrown error.
@inline(__always)
func check(_ call: String, _ result: Int32) throws(SystemError) -> Int32 {
    if result < 0 {
        throw SystemError(call: call, negatedErrno: result)
    }
    return result
}
