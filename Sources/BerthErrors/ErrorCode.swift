/// The error vocabulary shared by every Berth module and by the wire.
///
/// Codes mirror containerd's `errdefs` and map 1:1 onto gRPC status codes,
/// so a library error crosses the API without losing its meaning. The type is
/// an open struct rather than an enum: new codes can be added without breaking
/// a caller's `switch`, and a code read from the wire that this build does not
/// know decodes to `.unknown` instead of trapping.
public struct ErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The gRPC status code number (`google.rpc.Code`).
    public let grpcStatus: Int

    private init(grpcStatus: Int) {
        self.grpcStatus = grpcStatus
    }

    /// Maps a gRPC status number back to a code. Unknown numbers become `.unknown`.
    public init(grpcStatusCode value: Int) {
        self = Self.all.first { $0.grpcStatus == value } ?? .unknown
    }

    public static let cancelled = ErrorCode(grpcStatus: 1)
    public static let unknown = ErrorCode(grpcStatus: 2)
    public static let invalidArgument = ErrorCode(grpcStatus: 3)
    public static let deadlineExceeded = ErrorCode(grpcStatus: 4)
    public static let notFound = ErrorCode(grpcStatus: 5)
    public static let alreadyExists = ErrorCode(grpcStatus: 6)
    public static let permissionDenied = ErrorCode(grpcStatus: 7)
    public static let resourceExhausted = ErrorCode(grpcStatus: 8)
    public static let failedPrecondition = ErrorCode(grpcStatus: 9)
    public static let aborted = ErrorCode(grpcStatus: 10)
    public static let outOfRange = ErrorCode(grpcStatus: 11)
    public static let notImplemented = ErrorCode(grpcStatus: 12)
    public static let `internal` = ErrorCode(grpcStatus: 13)
    public static let unavailable = ErrorCode(grpcStatus: 14)
    public static let dataLoss = ErrorCode(grpcStatus: 15)

    /// Every code this build knows, in gRPC order.
    public static let all: [ErrorCode] = [
        .cancelled, .unknown, .invalidArgument, .deadlineExceeded, .notFound,
        .alreadyExists, .permissionDenied, .resourceExhausted, .failedPrecondition,
        .aborted, .outOfRange, .notImplemented, .internal, .unavailable, .dataLoss,
    ]

    public var description: String {
        switch grpcStatus {
        case 1: "cancelled"
        case 2: "unknown"
        case 3: "invalid argument"
        case 4: "deadline exceeded"
        case 5: "not found"
        case 6: "already exists"
        case 7: "permission denied"
        case 8: "resource exhausted"
        case 9: "failed precondition"
        case 10: "aborted"
        case 11: "out of range"
        case 12: "not implemented"
        case 13: "internal"
        case 14: "unavailable"
        case 15: "data loss"
        default: "code \(grpcStatus)"
        }
    }
}

/// Implemented by each module's one error type, so callers (and the API
/// layer) can read the code of any Berth error without knowing its module.
public protocol BerthError: Error, Sendable, CustomStringConvertible {
    var code: ErrorCode { get }
    var message: String { get }
}

extension BerthError {
    public var description: String { "\(code): \(message)" }
}
