public import BerthErrors

/// The one error type of the garbage collector (metadata and content errors
/// pass through as `MetadataError` and `ContentError`).
public struct GCError: BerthError {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
