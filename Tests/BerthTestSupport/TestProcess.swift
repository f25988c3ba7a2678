import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, its output sent to files, and
/// waited for (or killed) by PID. Unlike Foundation's `Process`, it does not
/// mind grandchildren that outlive the child (a script starting a daemon).
public final class TestProcess: @unchecked Sendable {
    public let pid: pid_t
    private var status: Int32?

    /// Starts `program` with `arguments`; stdin is read from `stdin` (default
    /// /dev/null), stdout and stderr go to the given files (created or truncated).
    public init(
        _ program: String, _ arguments: [String], stdout: String, stderr: String, environment: [String: String]? = nil,
        stdin: String = "/dev/null"
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, program, &actions, nil, argv, env)
        guard rc == 0 else {
            throw FixtureError("posix_spawn \(program): \(String(cString: strerror(rc)))")
        }
        pid = child
    }

    /// Waits up to `timeout` for the exit; returns the exit status, or nil on timeout.
    public func wait(timeout: Duration) -> Int32? {
        if let status { return status }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            var raw: Int32 = 0
            let rc = waitpid(pid, &raw, WNOHANG)
            if rc == pid {
                let code = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
                status = code
                return code
            }
            if rc < 0 && errno != EINTR { return -1 }
            if clock.now >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// True while the child has not exited.
    public var isRunning: Bool { wait(timeout: .zero) == nil }

    /// SIGTERM, then SIGKILL after `grace`; always reaps.
    public func terminate(grace: Duration = .seconds(5)) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if wait(timeout: grace) == nil {
            kill(pid, SIGKILL)
            _ = wait(timeout: .seconds(30))
        }
    }
}
