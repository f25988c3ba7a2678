import BerthErrors

/// The one error type of `BerthShimProto`: a message that cannot be packed,
/// unpacked or serialized.
public struct ShimProtoError: BerthError, Equatable {
    public let code: ErrorCode
    public let message: String

    /// Makes an error from its parts.
    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    /// An `Any` holds another type than the one asked for.
    static func typeMismatch(expected: String, found: String) -> ShimProtoError {
        ShimProtoError(code: .invalidArgument, message: "any holds \(found.debugDescription), not \(expected)")
    }

    /// A payload could not be decoded as `type`.
    static func malformed(_ type: String, reason: String) -> ShimProtoError {
        ShimProtoError(code: .invalidArgument, message: "cannot decode \(type): \(reason)")
    }

    /// A message could not be serialized.
    static func unencodable(_ type: String, reason: String) -> ShimProtoError {
        ShimProtoError(code: .internal, message: "cannot encode \(type): \(reason)")
    }
}
