import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A short-lived command run to completion through the ``Reaper``.
public struct Command: Sendable {
    /// Where a standard descriptor of the command goes.
    public enum Stream: Sendable, Equatable {
        /// /dev/null.
        case null
        /// Captured into the result (up to ``Command/captureLimit`` bytes).
        case capture
        /// This descriptor of ours (not closed).
        case descriptor(Int32)
    }

    /// The executable's path.
    public var path: String
    /// argv, including argv[0].
    public var arguments: [String]
    /// `KEY=value` strings.
    public var environment: [String]
    public var workingDirectory: String?
    public var standardInput: Stream = .null
    public var standardOutput: Stream = .capture
    public var standardError: Stream = .capture
    /// Descriptors installed as 3, 4, … in the command.
    public var extraDescriptors: [Int32] = []
    /// Run in a private mount namespace (see ``Spawn/Options``).
    public var privateMountNamespace = false
    /// With ``privateMountNamespace``, a mount point detached before exec.
    public var detachUnmount: String?
    /// The most bytes kept of each captured stream; the rest is read and dropped.
    public var captureLimit = 64 << 10
    /// After this long the command is killed with SIGKILL.
    public var timeoutMilliseconds: Int64 = 60_000

    /// Makes a command; `arguments` includes argv[0].
    public init(path: String, arguments: [String], environment: [String]) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
    }
}

/// How a ``Command`` ended.
public struct CommandResult: Sendable, Equatable {
    public var pid: Int32
    public var status: WaitStatus
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
    /// The command ran past its timeout and was killed.
    public var timedOut: Bool

    /// Makes a result from its parts.
    public init(pid: Int32, status: WaitStatus, standardOutput: [UInt8], standardError: [UInt8], timedOut: Bool) {
        self.pid = pid
        self.status = status
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.timedOut = timedOut
    }

    /// Whether it exited with code 0.
    public var succeeded: Bool { status == .exited(0) && !timedOut }
}

extension Reaper {
    /// Spawns `command` and blocks until it exits and its captured output
    /// reaches end of file (at most one second after the exit, in case a
    /// descendant kept the pipe). Other children's exits that arrive
    /// meanwhile are kept for delivery on the next loop turn.
    public func run(_ command: Command) throws(SystemError) -> CommandResult {
        var toClose: [Int32] = []
        var captures: [(fd: Int32, isError: Bool)] = []
        defer { for fd in toClose { Descriptor.close(fd) } }

        func wire(_ stream: Command.Stream, isError: Bool) throws(SystemError) -> Int32 {
            switch stream {
            case .null: return -1
            case .descriptor(let fd): return fd
            case .capture:
                let pipe = try Descriptor.pipe()
                try Descriptor.setNonBlocking(pipe.read)
                captures.append((pipe.read, isError))
                toClose.append(pipe.read)
                toClose.append(pipe.write)
                return pipe.write
            }
        }

        var options = Spawn.Options()
        let stdin = try wire(command.standardInput, isError: false)
        let stdout = try wire(command.standardOutput, isError: false)
        let stderr = try wire(command.standardError, isError: true)
        options.stdio = (stdin, stdout, stderr)
        options.workingDirectory = command.workingDirectory
        options.extraDescriptors = command.extraDescriptors
        options.privateMountNamespace = command.privateMountNamespace
        options.detachUnmount = command.detachUnmount
        let child = try Spawn.launch(
            path: command.path, arguments: command.arguments, environment: command.environment, options: options)
        expect(child.pid)
        if child.pidfd >= 0 { Descriptor.close(child.pidfd) }
        // Our copies of the write ends must go, or the pipes never reach EOF.
        for fd in toClose where !captures.contains(where: { $0.fd == fd }) {
            Descriptor.close(fd)
        }
        toClose = captures.map(\.fd)

        var output: [UInt8] = []
        var error: [UInt8] = []
        var open = captures
        var status: WaitStatus?
        var timedOut = false
        let deadline = MonotonicClock.milliseconds() + command.timeoutMilliseconds
        var drainDeadline: Int64 = .max
        var scratch = [UInt8](repeating: 0, count: 16 << 10)

        while status == nil || (!open.isEmpty && MonotonicClock.milliseconds() < drainDeadline) {
            var fds: [Int32] = [signalDescriptor]
            var events: [Int16] = [Int16(BERTH_POLL_IN)]
            for capture in open {
                fds.append(capture.fd)
                events.append(Int16(BERTH_POLL_IN))
            }
            var revents = [Int16](repeating: 0, count: fds.count)
            let now = MonotonicClock.milliseconds()
            var limit = status == nil ? (timedOut ? 1000 : deadline - now) : drainDeadline - now
            if scope == .expectedOnly { limit = min(limit, 20) }
            let rc = berth_poll(fds, events, &revents, Int32(fds.count), Int32(clamping: max(0, limit)))
            if rc < 0, rc != -EINTR {
                throw SystemError(call: "poll", negatedErrno: rc)
            }
            if status == nil, !timedOut, MonotonicClock.milliseconds() >= deadline {
                timedOut = true
                _ = berth_kill(child.pid, SIGKILL)
            }
            if revents[0] != 0 || rc == 0 {
                reap()
            }
            for (index, capture) in open.enumerated().reversed() where revents[index + 1] != 0 {
                var finished = false
                while true {
                    let outcome = scratch.withUnsafeMutableBytes { raw in
                        (try? Descriptor.read(capture.fd, into: raw)) ?? .endOfFile
                    }
                    guard case .transferred(let n) = outcome else {
                        finished = outcome == .endOfFile
                        break
                    }
                    if capture.isError {
                        error += scratch[0..<min(n, max(0, command.captureLimit - error.count))]
                    } else {
                        output += scratch[0..<min(n, max(0, command.captureLimit - output.count))]
                    }
                }
                if finished { open.remove(at: index) }
            }
            if status == nil, let exit = takeExit(of: child.pid) {
                status = exit
                drainDeadline = MonotonicClock.milliseconds() + 1000
            }
        }
        guard let status else {
            throw SystemError(call: "waitpid", errno: ECHILD)
        }
        return CommandResult(
            pid: child.pid, status: status, standardOutput: output, standardError: error, timedOut: timedOut)
    }
}
