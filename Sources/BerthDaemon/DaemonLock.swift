#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on a lock file that holds the owner's pid.
///
/// grpc-swift's unix-socket listener unlinks an existing socket file before
/// binding, so without this a second daemon would silently steal the first
/// one's socket. The lock is released when the process exits, however it
/// exits, so a crashed daemon never leaves a stale lock behind.
public final class DaemonLock: Sendable {
    /// The lock file.
    public let path: String
    private let descriptor: Int32

    /// Takes the lock at `path`, creating the file, and writes our pid into it.
    ///
    /// - Throws: `unavailable` naming the owner's pid if another process
    ///   holds the lock; `internal` if the file cannot be opened.
    public init(path: String) throws(DaemonError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .internal("open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let owner = Self.readOwner(fd)
            close(fd)
            if busy {
                throw .unavailable(
                    "another berthd (pid \(owner ?? "unknown")) holds \(path): "
                        + "refusing to take over its socket")
            }
            throw .internal("flock \(path): \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        close(descriptor)
    }

    /// Releases the lock and removes the file.
    public func release() {
        unlink(path)
        _ = flock(descriptor, LOCK_UN)
    }

    private static func readOwner(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).first.map(String.init)
    }
}
