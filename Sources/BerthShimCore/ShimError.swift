public import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// The one error type of `BerthShimCore`: what a Task service call or a
/// bootstrap action answers when it fails.
public struct ShimError: BerthError, Equatable {
    public var code: ErrorCode
    public var message: String

    /// Makes an error from its parts.
    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    /// containerd's answer for an unknown container id.
    static let containerNotCreated = ShimError(code: .notFound, message: "container not created")

    static func invalid(_ message: String) -> ShimError {
        ShimError(code: .invalidArgument, message: message)
    }

    static func precondition(_ message: String) -> ShimError {
        ShimError(code: .failedPrecondition, message: message)
    }

    static func notFound(_ message: String) -> ShimError {
        ShimError(code: .notFound, message: message)
    }

    /// Wraps a lower module's error, keeping its code and prefixing context.
    init(_ context: String, _ error: some BerthError) {
        self.init(code: error.code, message: context.isEmpty ? error.message : context + ": " + error.message)
    }

    /// The status sent over ttrpc.
    var ttrpc: TTRPCError {
        TTRPCError(code: code, message: message)
    }
}
