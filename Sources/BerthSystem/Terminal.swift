import CBerthSys

/// Pseudo-terminal helpers.
public enum Terminal {
    /// Sets the window size of the terminal behind `fd`. The corresponding
    /// C call is `ioctl(TIOCSWINSZ)`.
    public static func setWindowSize(_ fd: Int32, rows: UInt16, columns: UInt16) throws(SystemError) {
        _ = try check("ioctl(TIOCSWINSZ)", berth_set_winsize(fd, rows, columns))
    }

    /// The window size of the terminal behind `fd`.
    public static func windowSize(_ fd: Int32) throws(SystemError) -> (rows: UInt16, columns: UInt16) {
        var rows: UInt16 = 0
        var columns: UInt16 = 0
        _ = try check("ioctl(TIOCGWINSZ)", berth_get_winsize(fd, &rows, &columns))
        return (rows, columns)
    }

    /// A new pseudo-terminal pair, both ends close-on-exec.
    public static func openPair() throws(SystemError) -> (master: Int32, slave: Int32) {
        var master: Int32 = -1
        var slave: Int32 = -1
        _ = try check("posix_openpt", berth_openpty(&master, &slave))
        return (master, slave)
    }
}

/// Signals.
public enum Signals {
    /// Ignores SIGPIPE, so a write to a vanished reader fails with EPIPE.
    public static func ignoreBrokenPipe() {
        _ = berth_ignore_sigpipe()
    }

    /// Sends `signal` to `pid`. The corresponding C call is `kill`.
    public static func send(_ signal: Int32, to pid: Int32) throws(SystemError) {
        _ = try check("kill(\(pid), \(signal))", berth_kill(pid, signal))
    }
}

/// Event counters and change notifications for OOM watching.
public enum Notifier {
    /// A non-blocking eventfd. The corresponding C call is `eventfd`.
    public static func eventDescriptor() throws(SystemError) -> Int32 {
        try check("eventfd", berth_eventfd())
    }

    /// A non-blocking inotify descriptor watching `path` for modifications.
    public static func watchModifications(of path: String) throws(SystemError) -> Int32 {
        var watch: Int32 = 0
        return try check("inotify_add_watch(\(path))", berth_inotify_watch(path, &watch))
    }
}
