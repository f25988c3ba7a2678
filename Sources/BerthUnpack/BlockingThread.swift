import BerthErrors
import BerthArchive
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs blocking work (file I/O, decompression, waiting on a `ByteChannel`)
/// on a thread of its own, never on the Swift concurrency pool.
enum BlockingThread {
    private final class Job {
        let body: () -> Void

        init(_ body: @escaping () -> Void) {
            self.body = body
        }
    }

    /// Runs `body` on a new detached thread and returns its result.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job {
                continuation.resume(with: Result { try body() })
            }
            let context = Unmanaged.passRetained(job).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { context in
                    guard let context else { return nil }
                    Unmanaged<Job>.fromOpaque(context).takeRetainedValue().body()
                    return nil
                }, context)
            if rc != 0 {
                Unmanaged<Job>.fromOpaque(context).release()
                continuation.resume(throwing: UnpackError(.resourceExhausted, "cannot start an unpack thread (\(rc))"))
                return
            }
            pthread_detach(thread)
        }
    }
}

/// A flag set once when an unpack is abandoned; sources check it on every
/// read, and registered channels are closed so a reader blocked waiting for
/// a stalled download wakes up.
final class AbortFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    private let channels = Mutex<[ByteChannel]>([])

    func set() {
        flag.store(true, ordering: .releasing)
        let waiting = channels.withLock { channels in
            defer { channels = [] }
            return channels
        }
        for channel in waiting {
            channel.close()
        }
    }

    var isSet: Bool {
        flag.load(ordering: .acquiring)
    }

    /// Closes `source` when the unpack is abandoned, if it is a channel
    /// (closing one is thread-safe; closing a descriptor under a reader is not).
    func register(_ source: any ByteSource) {
        guard let channel = source as? ByteChannel else { return }
        channels.withLock { $0.append(channel) }
        if isSet {
            channel.close()
        }
    }
}
