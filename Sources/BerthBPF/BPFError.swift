public import BerthErrors

/// The one error type of BerthBPF.
public struct BPFError: BerthError, Equatable {
    public var code: ErrorCode
    public var message: String
    /// The errno libbpf reported, when there was one.
    public var errno: Int32?

    public init(_ code: ErrorCode, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }
}
