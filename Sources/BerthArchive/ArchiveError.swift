public import BerthErrors

/// The one error type of BerthArchive: a tar stream that could not be read or
/// written, a source that failed, or a limit that was exceeded.
public struct ArchiveError: BerthError {
    public var code: ErrorCode
    public var message: String

    /// Creates an error with a code and a human-readable message.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ArchiveError {
    /// Wraps an error thrown by a byte source or sink, keeping a Berth error's code.
    static func wrapping(_ error: any Error, while action: String) -> ArchiveError {
        if let archive = error as? ArchiveError {
            return archive
        }
        if let berth = error as? any BerthError {
            return ArchiveError(berth.code, "\(action): \(berth.message)")
        }
        return ArchiveError(.unknown, "\(action): \(error)")
    }
}
