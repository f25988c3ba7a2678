import CBerthSys

/// A single-threaded epoll loop: descriptors with handlers, one-shot
/// timers, and work deferred to the next turn.
///
/// Everything runs on the thread that calls ``run()``; handlers may
/// register, unregister, schedule and stop freely. Interest is
/// level-triggered, so a handler that leaves data unread is called again.
/// A handler must tolerate a spurious wake-up (a read that would block).
public final class EventLoop {
    /// Readiness bits (epoll's values).
    public struct Events: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let readable = Events(rawValue: UInt32(BERTH_EV_IN))
        public static let writable = Events(rawValue: UInt32(BERTH_EV_OUT))
        public static let error = Events(rawValue: UInt32(BERTH_EV_ERR))
        public static let hangup = Events(rawValue: UInt32(BERTH_EV_HUP))
        public static let readHangup = Events(rawValue: UInt32(BERTH_EV_RDHUP))
    }

    /// Identifies a scheduled timer, for ``cancel(_:)``.
    public struct TimerID: Hashable, Sendable {
        fileprivate let value: UInt64
    }

    private struct Registration {
        var generation: UInt32
        var interest: Events
        var handler: (Events) -> Void
    }

    private struct Timer {
        var id: UInt64
        var deadline: Int64
        var body: () -> Void
    }

    private let epollFD: Int32
    private var registrations: [Int32: Registration] = [:]
    private var nextGeneration: UInt32 = 1
    private var timers: [Timer] = []
    private var nextTimerID: UInt64 = 1
    private var deferred: [() -> Void] = []
    private var stopped = false

    /// Makes a loop. The corresponding C call is `epoll_create1`.
    public init() throws(SystemError) {
        epollFD = try check("epoll_create1", berth_epoll_create())
    }

    deinit {
        Descriptor.close(epollFD)
    }

    /// How many descriptors are registered.
    public var registeredCount: Int { registrations.count }

    /// Calls `handler` whenever `fd` is ready for `events` (errors and
    /// hang-ups are always reported). Replaces an earlier registration.
    public func register(_ fd: Int32, for events: Events, handler: @escaping (Events) -> Void) throws(SystemError) {
        let generation = nextGeneration
        nextGeneration &+= 1
        let data = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
        if registrations[fd] != nil {
            _ = try check("epoll_ctl(MOD)", berth_epoll_ctl(epollFD, BERTH_EPOLL_MOD, fd, events.rawValue, data))
        } else {
            _ = try check("epoll_ctl(ADD)", berth_epoll_ctl(epollFD, BERTH_EPOLL_ADD, fd, events.rawValue, data))
        }
        registrations[fd] = Registration(generation: generation, interest: events, handler: handler)
    }

    /// Changes what `fd` is watched for.
    public func setInterest(_ fd: Int32, _ events: Events) {
        guard var registration = registrations[fd], registration.interest != events else { return }
        let data = UInt64(registration.generation) << 32 | UInt64(UInt32(bitPattern: fd))
        if berth_epoll_ctl(epollFD, BERTH_EPOLL_MOD, fd, events.rawValue, data) == 0 {
            registration.interest = events
            registrations[fd] = registration
        }
    }

    /// The events `fd` is watched for, or nil when it is not registered.
    public func interest(_ fd: Int32) -> Events? {
        registrations[fd]?.interest
    }

    /// Stops watching `fd`. Call before closing it.
    public func unregister(_ fd: Int32) {
        guard registrations.removeValue(forKey: fd) != nil else { return }
        _ = berth_epoll_ctl(epollFD, BERTH_EPOLL_DEL, fd, 0, 0)
    }

    /// Runs `body` once, `milliseconds` from now.
    @discardableResult
    public func schedule(afterMilliseconds milliseconds: Int64, _ body: @escaping () -> Void) -> TimerID {
        let id = nextTimerID
        nextTimerID += 1
        let timer = Timer(id: id, deadline: MonotonicClock.milliseconds() + max(0, milliseconds), body: body)
        let index = timers.firstIndex { $0.deadline > timer.deadline } ?? timers.endIndex
        timers.insert(timer, at: index)
        return TimerID(value: id)
    }

    /// Cancels a timer that has not fired yet.
    public func cancel(_ timer: TimerID) {
        timers.removeAll { $0.id == timer.value }
    }

    /// Runs `body` at the start of the next turn, before waiting for events.
    public func execute(_ body: @escaping () -> Void) {
        deferred.append(body)
    }

    /// Makes ``run()`` return after the current turn.
    public func stop() {
        stopped = true
    }

    /// Turns until ``stop()`` is called.
    public func run() {
        stopped = false
        while !stopped {
            runOnce(timeoutMilliseconds: -1)
        }
    }

    /// One turn: deferred work, then at most one wait for events (bounded by
    /// the next timer and `timeoutMilliseconds`; -1 waits indefinitely),
    /// then handlers, then due timers.
    public func runOnce(timeoutMilliseconds: Int64 = -1) {
        runDeferred()
        var timeout = timeoutMilliseconds
        if !deferred.isEmpty || stopped {
            timeout = 0
        } else if let next = timers.first {
            let untilTimer = max(0, next.deadline - MonotonicClock.milliseconds())
            timeout = timeout < 0 ? untilTimer : min(timeout, untilTimer)
        }
        var data = [UInt64](repeating: 0, count: 32)
        var events = [UInt32](repeating: 0, count: 32)
        let count = berth_epoll_wait(epollFD, &data, &events, 32, Int32(clamping: timeout))
        if count > 0 {
            for index in 0..<Int(count) {
                let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: data[index]))
                let generation = UInt32(truncatingIfNeeded: data[index] >> 32)
                // A handler earlier in this batch may have replaced or
                // removed this registration: drop stale events.
                guard let registration = registrations[fd], registration.generation == generation else { continue }
                registration.handler(Events(rawValue: events[index]))
            }
        }
        runTimers()
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            let work = deferred
            deferred.removeAll()
            for body in work { body() }
        }
    }

    private func runTimers() {
        let now = MonotonicClock.milliseconds()
        while let first = timers.first, first.deadline <= now {
            timers.removeFirst()
            first.body()
        }
    }
}
