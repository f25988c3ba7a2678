import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one owner of `waitpid` in a process.
///
/// It blocks SIGCHLD and reads it from a signalfd, then drains
/// `waitpid(-1, WNOHANG)` so no exit is lost, however many children end at
/// once. Short-lived commands (``run(_:)``) are waited for through the same
/// drain: the process is registered before it can be reaped (the loop is
/// single-threaded and SIGCHLD is only read here), and the exits of other
/// children that arrive meanwhile are kept and delivered afterwards, in
/// order, on the next loop turn.
public final class Reaper {
    /// Which children the reaper waits for.
    public enum Scope: Sendable {
        /// Every child (`waitpid(-1)`): what a subreaper must do.
        case allChildren
        /// Only pids registered with ``expect(_:)`` (`waitpid(pid)`): for a
        /// process that shares its children with other code, such as a test
        /// runner. SIGCHLD may then reach another thread, so waits poll.
        case expectedOnly
    }

    /// The signalfd for SIGCHLD.
    public let signalDescriptor: Int32
    /// Which children are reaped.
    public let scope: Scope
    private var awaited: [Int32: WaitStatus?] = [:]
    private var pending: [(pid: Int32, status: WaitStatus)] = []
    private var deliveryScheduled = false
    private var loop: EventLoop?
    private var onExit: ((Int32, WaitStatus) -> Void)?

    /// Blocks SIGCHLD on the calling thread and opens the signalfd. Call
    /// before any other thread exists (the shim has none).
    public init(scope: Scope = .allChildren) throws(SystemError) {
        self.scope = scope
        signalDescriptor = try check("signalfd(SIGCHLD)", berth_signalfd_sigchld())
    }

    deinit {
        Descriptor.close(signalDescriptor)
    }

    /// Delivers every exit not awaited by ``run(_:)`` to `onExit`, on the
    /// loop, one turn after it was reaped.
    public func attach(to loop: EventLoop, onExit: @escaping (Int32, WaitStatus) -> Void) throws(SystemError) {
        self.loop = loop
        self.onExit = onExit
        try loop.register(signalDescriptor, for: .readable) { [unowned self] _ in
            self.reap()
        }
    }

    /// Reads pending SIGCHLDs and collects every ended child.
    public func reap() {
        _ = berth_signalfd_drain(signalDescriptor)
        switch scope {
        case .allChildren:
            while true {
                var raw: Int32 = 0
                let pid = berth_waitpid(-1, &raw, berth_WNOHANG)
                if pid <= 0 { break }
                record(pid, raw)
            }
        case .expectedOnly:
            for (pid, status) in awaited where status == nil {
                var raw: Int32 = 0
                if berth_waitpid(pid, &raw, berth_WNOHANG) == pid { record(pid, raw) }
            }
        }
        scheduleDelivery()
    }

    private func record(_ pid: Int32, _ raw: Int32) {
        guard let status = WaitStatus(raw: raw) else { return }
        if awaited.keys.contains(pid) {
            awaited[pid] = .some(status)
        } else {
            pending.append((pid, status))
        }
    }

    private func scheduleDelivery() {
        guard !pending.isEmpty, !deliveryScheduled, let loop else {
            if loop == nil { pending.removeAll() }
            return
        }
        deliveryScheduled = true
        loop.execute { [unowned self] in
            self.deliveryScheduled = false
            let exits = self.pending
            self.pending.removeAll()
            for exit in exits { self.onExit?(exit.pid, exit.status) }
        }
    }

    /// Starts waiting for `pid`; its exit is kept for ``takeExit(of:)``
    /// instead of being delivered. Call right after spawning, before the
    /// loop turns again.
    public func expect(_ pid: Int32) {
        awaited[pid] = .some(nil)
    }

    /// The exit of an expected pid, if it has been reaped; forgets it.
    public func takeExit(of pid: Int32) -> WaitStatus? {
        guard case .some(.some(let status)) = awaited[pid] else { return nil }
        awaited.removeValue(forKey: pid)
        return status
    }
}
