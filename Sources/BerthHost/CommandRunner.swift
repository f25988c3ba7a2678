import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs a short-lived helper command (such as `runc --version`) and captures
/// its standard output, killing it if it outlives a deadline.
enum CommandRunner {
    /// What a finished command printed and how it ended.
    struct Output {
        var status: WaitStatus
        var stdout: String
        var timedOut: Bool
    }

    /// The environment helpers run with: a fixed PATH and the C locale, so
    /// their output does not depend on the caller's shell.
    static let environment = [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL=C",
    ]

    /// Runs `path` with `arguments` (argv[0] excluded), stdin and stderr on
    /// /dev/null, and returns at most `limit` bytes of its stdout.
    static func run(
        _ path: String, _ arguments: [String], timeoutMilliseconds: Int32 = 5000, limit: Int = 4 << 20
    ) throws(SystemError) -> Output {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SystemError(call: "pipe", errno: errno) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        var options = Spawn.Options()
        options.stdio = (-1, writeEnd, -1)
        let child: SpawnedProcess
        do {
            child = try Spawn.launch(
                path: path, arguments: [path] + arguments, environment: environment, options: options)
        } catch {
            close(writeEnd)
            throw error
        }
        close(writeEnd)
        if child.pidfd >= 0 { close(child.pidfd) }

        let (bytes, ending) = collect(readEnd, timeoutMilliseconds: timeoutMilliseconds, limit: limit)
        // A child still writing would block forever on a pipe no one reads.
        if ending != .endOfFile { kill(child.pid, SIGKILL) }
        let status = try Spawn.wait(pid: child.pid)
        return Output(status: status, stdout: String(decoding: bytes, as: UTF8.self), timedOut: ending == .timeout)
    }

    /// Why reading a child's output stopped.
    private enum Ending {
        case endOfFile, timeout, limit, error
    }

    /// Reads `fd` until end of file, `limit` bytes, or the deadline passes.
    private static func collect(_ fd: Int32, timeoutMilliseconds: Int32, limit: Int) -> ([UInt8], Ending) {
        let deadline = now() + Int64(timeoutMilliseconds)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while bytes.count < limit {
            let remaining = deadline - now()
            if remaining <= 0 { return (bytes, .timeout) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(remaining))
            if ready < 0 {
                if errno == EINTR { continue }
                return (bytes, .error)
            }
            if ready == 0 { return (bytes, .timeout) }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return (bytes, .error)
            }
            if count == 0 { return (bytes, .endOfFile) }
            bytes += buffer[0..<count]
        }
        return (bytes, .limit)
    }

    /// Monotonic milliseconds.
    private static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
