import BerthErrors

/// The one error type of `BerthTTRPC`: a ttrpc status.
///
/// ttrpc statuses are gRPC statuses (`google.rpc.Status`), so ``code`` maps
/// 1:1 onto the status code in both directions. An error with a
/// ``streamID`` belongs to one call: a server answers it on that stream and
/// keeps the connection. An error without one concerns the whole connection.
public struct TTRPCError: BerthError, Equatable {
    /// The status code; `ErrorCode.grpcStatus` is the number on the wire.
    public let code: ErrorCode
    /// The status message, as sent to or received from the peer.
    public let message: String
    /// The stream the error belongs to, if it belongs to one.
    public let streamID: UInt32?

    /// Makes an error from its parts.
    public init(code: ErrorCode, message: String, streamID: UInt32? = nil) {
        self.code = code
        self.message = message
        self.streamID = streamID
    }

    /// Makes an error from a status received from the peer.
    ///
    /// A status number this build does not know becomes `.unknown`. Status 0
    /// (OK) is not an error; callers check for it first (see
    /// ``TTRPCResponse/result``), and it also becomes `.unknown` here.
    public init(status: TTRPCStatus, streamID: UInt32? = nil) {
        self.init(
            code: ErrorCode(grpcStatusCode: Int(status.code)),
            message: status.message,
            streamID: streamID
        )
    }

    /// The status to send to the peer.
    public var status: TTRPCStatus {
        var status = TTRPCStatus()
        status.code = Int32(code.grpcStatus)
        status.message = message
        return status
    }
}

extension TTRPCError {
    /// A frame announced more than the maximum payload length. The decoder
    /// discards the payload and stays usable; ttrpc answers on the stream
    /// with this status.
    public static func oversized(length: UInt32, maximum: Int, streamID: UInt32) -> TTRPCError {
        TTRPCError(
            code: .resourceExhausted,
            message: "message length \(length) exceed maximum message size of \(maximum)",
            streamID: streamID
        )
    }

    /// A client sent a request on an even stream id (clients use odd ids).
    public static func evenStreamID(_ streamID: UInt32) -> TTRPCError {
        TTRPCError(
            code: .invalidArgument,
            message: "StreamID must be odd for client initiated streams",
            streamID: streamID
        )
    }

    /// A payload is not the protobuf message it should be.
    public static func malformed(_ what: String, streamID: UInt32?, reason: String) -> TTRPCError {
        TTRPCError(code: .invalidArgument, message: "unmarshal \(what) error: \(reason)", streamID: streamID)
    }

    /// A message could not be serialized.
    public static func unencodable(_ what: String, reason: String) -> TTRPCError {
        TTRPCError(code: .internal, message: "marshal \(what) error: \(reason)")
    }
}
