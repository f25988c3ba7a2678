import BerthErrors
/// A bounded pipe from a producer that pushes bytes as they arrive (a
/// download) to a `TarReader` that pulls them on its own thread.
///
/// The producer calls `send(_:)` (async; it suspends while more than
/// `capacity` bytes wait unread) or `sendBlocking(_:)` from a thread, then
/// `finish()` at the end of the stream or `fail(_:)` if the stream broke.
/// The consumer side calls `close()` when it stops reading early; from then
/// on every send throws `ArchiveError(.cancelled)`, so the producer stops
/// instead of waiting forever.
///
///     let channel = ByteChannel()
///     async let applied = unpacker.unpack(..., source: channel)
///     for try await chunk in body { try await channel.send(chunk) }
///     channel.finish()
public final class ByteChannel: ByteSource, @unchecked Sendable {
    private enum State {
        case open
        case finished
        case failed(any Error)
        case closed
    }

    /// Bytes that may wait unread before `send` suspends.
    public let capacity: Int
    // All mutable state below is guarded by `lock`.
    private let lock = ConditionLock()
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var offsetInHead = 0
    private var buffered = 0
    private var state = State.open
    private var waiters: [CheckedContinuation<Void, any Error>] = []

    /// Creates an open channel buffering up to `capacity` bytes (default 8 MiB).
    public init(capacity: Int = 8 << 20) {
        self.capacity = max(1, capacity)
    }

    /// Appends `bytes`, then suspends while more than `capacity` bytes are unread.
    ///
    /// - Throws: `ArchiveError(.cancelled)` once the reader has closed the
    ///   channel; `ArchiveError(.failedPrecondition)` after `finish()` or `fail(_:)`.
    public func send(_ bytes: [UInt8]) async throws {
        if try enqueue(bytes) {
            return
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            lock.lock()
            if case .closed = state {
                lock.unlock()
                continuation.resume(throwing: Self.closedError)
            } else if buffered <= capacity {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }

    /// Appends `bytes` from a thread that may block, waiting while more than
    /// `capacity` bytes are unread. Never call it from an async context.
    ///
    /// - Throws: as `send(_:)`.
    public func sendBlocking(_ bytes: [UInt8]) throws {
        if try enqueue(bytes) {
            return
        }
        lock.lock()
        defer { lock.unlock() }
        while true {
            if case .closed = state {
                throw Self.closedError
            }
            if buffered <= capacity {
                return
            }
            lock.wait()
        }
    }

    /// Marks the end of the stream: the reader sees end-of-file after the
    /// bytes already sent.
    public func finish() {
        lock.withLock {
            if case .open = state {
                state = .finished
            }
            lock.broadcast()
        }
    }

    /// Breaks the stream: the reader's next read throws `error`.
    public func fail(_ error: any Error) {
        lock.withLock {
            if case .open = state {
                state = .failed(error)
            }
            lock.broadcast()
        }
    }

    /// Called by the consumer when it stops reading; pending and future sends throw.
    public func close() {
        let resumed: [CheckedContinuation<Void, any Error>] = lock.withLock {
            state = .closed
            chunks = []
            head = 0
            offsetInHead = 0
            buffered = 0
            let waiting = waiters
            waiters = []
            lock.broadcast()
            return waiting
        }
        for waiter in resumed {
            waiter.resume(throwing: Self.closedError)
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        lock.lock()
        while head == chunks.count {
            switch state {
            case .open:
                lock.wait()
            case .finished:
                lock.unlock()
                return 0
            case .failed(let error):
                lock.unlock()
                throw error
            case .closed:
                lock.unlock()
                throw Self.closedError
            }
        }
        let count = copyOut(into: buffer)
        var resumed: [CheckedContinuation<Void, any Error>] = []
        if buffered <= capacity {
            resumed = waiters
            waiters = []
            lock.broadcast()
        }
        lock.unlock()
        for waiter in resumed {
            waiter.resume()
        }
        return count
    }

    /// Copies from the queued chunks; the lock must be held and a chunk queued.
    private func copyOut(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var written = 0
        while written < buffer.count, head < chunks.count {
            let chunk = chunks[head]
            let count = min(buffer.count - written, chunk.count - offsetInHead)
            chunk.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer[written..<written + count])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offsetInHead..<offsetInHead + count]))
            }
            written += count
            offsetInHead += count
            if offsetInHead == chunk.count {
                chunks[head] = []
                head += 1
                offsetInHead = 0
            }
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 {
            chunks.removeFirst(head)
            head = 0
        }
        buffered -= written
        return written
    }

    /// Queues `bytes`; returns true when the producer need not wait.
    private func enqueue(_ bytes: [UInt8]) throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        switch state {
        case .open:
            break
        case .closed:
            throw Self.closedError
        case .finished, .failed:
            throw ArchiveError(.failedPrecondition, "byte channel: send after finish")
        }
        guard !bytes.isEmpty else { return true }
        chunks.append(bytes)
        buffered += bytes.count
        lock.broadcast()
        return buffered <= capacity
    }

    private static var closedError: ArchiveError {
        ArchiveError(.cancelled, "byte channel: the reader stopped reading")
    }
}
