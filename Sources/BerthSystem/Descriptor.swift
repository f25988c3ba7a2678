import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The outcome of a non-blocking read or write.
public enum IOResult: Equatable, Sendable {
    /// This many bytes were read or written (never 0 for a read).
    case transferred(Int)
    /// The descriptor is not ready (EAGAIN); wait for the event loop.
    case wouldBlock
    /// A read found the end of the stream, or a write found no reader (EPIPE).
    case endOfFile
}

/// Operations on raw file descriptors. Each throws the failed call with its
/// errno; EINTR is retried in C.
public enum Descriptor {
    /// Reads up to `buffer.count` bytes. The corresponding C call is `read`.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .transferred(0) }
        let n = berth_read(fd, base, buffer.count)
        if n > 0 { return .transferred(n) }
        if n == 0 { return .endOfFile }
        let errno = Int32(-n)
        if errno == EAGAIN { return .wouldBlock }
        // A pty master reports EIO once the last slave closed: its end.
        if errno == EIO { return .endOfFile }
        throw SystemError(call: "read", errno: errno)
    }

    /// Writes up to `bytes.count` bytes. EPIPE is reported as `.endOfFile`.
    /// The corresponding C call is `write`.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> IOResult {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .transferred(0) }
        let n = berth_write(fd, base, bytes.count)
        if n >= 0 { return .transferred(n) }
        let errno = Int32(-n)
        if errno == EAGAIN { return .wouldBlock }
        if errno == EPIPE { return .endOfFile }
        throw SystemError(call: "write", errno: errno)
    }

    /// Writes all of `bytes` to a blocking descriptor.
    public static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>) throws(SystemError) {
        var array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let result = array.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) -> IOResult in
                    try write(fd, UnsafeRawBufferPointer(rebasing: raw[offset...]))
                }
            }
            switch try result.get() {
            case .transferred(let n): offset += n
            case .wouldBlock: throw SystemError(call: "write", errno: EAGAIN)
            case .endOfFile: throw SystemError(call: "write", errno: EPIPE)
            }
        }
        array.removeAll()
    }

    /// Opens `path` with `flags` (O_CLOEXEC is always added). The
    /// corresponding C call is `open`.
    public static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0o644) throws(SystemError) -> Int32 {
        try check("open(\(path))", berth_open(path, flags, mode))
    }

    /// Closes `fd`, ignoring errors (the descriptor is released either way).
    public static func close(_ fd: Int32) {
        if fd >= 0 { _ = berth_close(fd) }
    }

    /// A close-on-exec pipe: `(read, write)`.
    public static func pipe() throws(SystemError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try check("pipe2", berth_pipe(&fds))
        return (fds[0], fds[1])
    }

    /// Sets or clears O_NONBLOCK.
    public static func setNonBlocking(_ fd: Int32, _ on: Bool = true) throws(SystemError) {
        _ = try check("fcntl(O_NONBLOCK)", berth_set_nonblocking(fd, on ? 1 : 0))
    }

    /// Sets or clears FD_CLOEXEC.
    public static func setCloseOnExec(_ fd: Int32, _ on: Bool = true) throws(SystemError) {
        _ = try check("fcntl(FD_CLOEXEC)", berth_set_cloexec(fd, on ? 1 : 0))
    }

    /// Flushes `fd` to stable storage. The corresponding C call is `fsync`.
    public static func sync(_ fd: Int32) throws(SystemError) {
        _ = try check("fsync", berth_fsync(fd))
    }

    /// Waits until `fd` is readable (or hung up) or the timeout passes;
    /// returns whether it became ready. The corresponding C call is `poll`.
    public static func waitReadable(_ fd: Int32, timeoutMilliseconds: Int64) -> Bool {
        let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
        while true {
            let remaining = max(0, deadline - MonotonicClock.milliseconds())
            let fds: [Int32] = [fd]
            let events: [Int16] = [Int16(BERTH_POLL_IN)]
            var revents: [Int16] = [0]
            let rc = berth_poll(fds, events, &revents, 1, Int32(clamping: remaining))
            if rc == -EINTR { continue }
            return rc > 0
        }
    }

    /// Reads until end of file or `limit` bytes from a blocking descriptor.
    public static func readAll(_ fd: Int32, limit: Int = 1 << 20) throws(SystemError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let outcome = chunk.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) -> IOResult in try read(fd, into: raw) }
            }
            switch try outcome.get() {
            case .transferred(let n): result += chunk[0..<min(n, limit - result.count)]
            case .endOfFile, .wouldBlock: return result
            }
        }
        return result
    }
}
