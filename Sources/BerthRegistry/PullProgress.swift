public import BerthOCI

/// Progress of a pull, reported per blob. The CLI draws its progress bars from these.
public enum PullProgress: Sendable, Equatable {
    /// The reference resolved to this root descriptor (index or manifest).
    case resolved(Descriptor)
    /// The blob is already in the content store; nothing is downloaded.
    case exists(Descriptor)
    /// Downloading starts (or resumes) at `offset`.
    case started(Descriptor, offset: Int64)
    /// `bytes` of the blob's `total` are in the store.
    case progress(Digest, bytes: Int64, total: Int64)
    /// The download broke and is retried from `offset` after a back-off.
    case retrying(Digest, offset: Int64, attempt: Int, reason: String)
    /// The blob is verified and committed.
    case done(Descriptor)

    /// The digest this event is about.
    public var digest: Digest {
        switch self {
        case .resolved(let descriptor), .exists(let descriptor), .started(let descriptor, _),
            .done(let descriptor):
            descriptor.digest
        case .progress(let digest, _, _), .retrying(let digest, _, _, _):
            digest
        }
    }

    /// A handler and the `AsyncStream` it feeds, for consumers that prefer a stream.
    /// Finish the stream with `continuation.finish()` after the pull returns.
    public static func makeStream(
        bufferingNewest limit: Int = 1024
    ) -> (stream: AsyncStream<PullProgress>, handler: @Sendable (PullProgress) -> Void, finish: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<PullProgress>.makeStream(bufferingPolicy: .bufferingNewest(limit))
        return (stream, { continuation.yield($0) }, { continuation.finish() })
    }
}
