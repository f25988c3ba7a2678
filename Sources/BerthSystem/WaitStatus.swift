import CBerthSys

/// A decoded `waitpid` status.
public enum WaitStatus: Equatable, Sendable, CustomStringConvertible {
    /// The process called exit with this code.
    case exited(Int32)
    /// The process was killed by this signal.
    case signaled(Int32)

    /// Decodes a raw status word. Returns nil for stop/continue notifications.
    public init?(raw: Int32) {
        guard berth_wait_status_is_terminal(raw) == 1 else { return nil }
        let signal = berth_wait_status_signal(raw)
        if signal != 0 {
            self = .signaled(signal)
        } else {
            self = .exited(berth_wait_status_exit_code(raw))
        }
    }

    /// The status as a shell and containerd report it: the exit code, or
    /// 128 + the signal number.
    public var exitCode: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}
