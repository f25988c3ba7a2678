import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The stdio a client asked for: FIFO paths (containerd's cio), `file://`
/// or `binary://` log URIs, or nothing; and whether it wants a terminal.
struct StdioRequest: Equatable {
    var stdin: String
    var stdout: String
    var stderr: String
    var terminal: Bool

    var isNull: Bool { stdin.isEmpty && stdout.isEmpty && stderr.isEmpty }
}

/// A process's standard streams: what the executor hands to the process,
/// and the relays that copy between those and the client's FIFOs.
///
/// - Pipes (no terminal): the process writes into pipes; the shim copies
///   them into the stdout/stderr FIFOs (opened read-write and non-blocking,
///   so opening never blocks and the FIFO outlives a vanished reader) or a
///   `file://` path; stdin is copied from its FIFO into a pipe.
/// - `binary://PATH?args`: the logging binary gets the read ends as fds 3
///   and 4 and signals readiness by closing fd 5, as containerd's shim does;
///   nothing passes through the shim.
/// - Terminal: the executor sends the pty master over `--console-socket`;
///   the shim copies master → stdout FIFO and stdin FIFO → master.
final class ProcessIO {
    let request: StdioRequest
    /// The descriptors the executor passes to the process.
    private(set) var executorStdio = ProcessStdio()
    /// The `--console-socket` path, for a terminal.
    private(set) var consoleSocketPath: String?
    private var consoleListener: Int32 = -1
    private var master: Int32 = -1
    private var childEnds: [Int32] = []
    private var outputRelays: [Relay] = []
    private var stdinRelay: Relay?
    private var stdinFIFO: Int32 = -1
    private var outputSink: Int32 = -1
    private var drainWaiters: [() -> Void] = []
    private var drainTimer: EventLoop.TimerID?
    private unowned let watcher: IOWatcher
    private unowned let loop: EventLoop
    private let logger: Logger
    private var closed = false

    private init(request: StdioRequest, watcher: IOWatcher, loop: EventLoop, logger: Logger) {
        self.request = request
        self.watcher = watcher
        self.loop = loop
        self.logger = logger
    }

    /// Opens the client's ends and makes the process's ends, before the
    /// executor runs.
    static func prepare(
        _ request: StdioRequest, processID: String, namespace: String, watcher: IOWatcher, loop: EventLoop,
        logger: Logger, consoleSocketPath: String
    ) throws(ShimError) -> ProcessIO {
        let io = ProcessIO(request: request, watcher: watcher, loop: loop, logger: logger)
        do {
            if request.terminal {
                try io.prepareTerminal(socketPath: consoleSocketPath)
            } else if request.stdout.hasPrefix("binary://") {
                try io.prepareBinary(processID: processID, namespace: namespace)
            } else if !request.isNull {
                try io.preparePipes()
            }
        } catch {
            io.close()
            throw error
        }
        return io
    }

    // MARK: setup

    private func preparePipes() throws(ShimError) {
        if !request.stdin.isEmpty {
            let pipe = try makePipe()
            childEnds.append(pipe.read)
            let fifo: Int32
            do {
                fifo = try open(request.stdin, O_RDONLY | O_NONBLOCK)
            } catch {
                Descriptor.close(pipe.write)
                throw error
            }
            executorStdio.input = pipe.read
            stdinRelay = Relay(
                name: "stdin", source: fifo, sink: pipe.write, sinkIsPollable: true, watcher: watcher, logger: logger)
        }
        let fileTarget = request.stdout.hasPrefix("file://") ? Self.path(ofURI: request.stdout) : nil
        if let fileTarget {
            try? FileSystem.makeDirectories(FileSystem.directoryName(fileTarget))
        }
        var indexes: [String: LogIndex] = [:]
        for (name, path) in [("stdout", request.stdout), ("stderr", request.stderr)] {
            let target = fileTarget ?? path
            guard !target.isEmpty else { continue }
            let pipe = try makePipe()
            childEnds.append(pipe.write)
            if name == "stdout" { executorStdio.output = pipe.write } else { executorStdio.error = pipe.write }
            let pollable = FileSystem.kind(target) == .fifo
            let sink: Int32
            do {
                sink =
                    pollable
                    ? try open(target, O_RDWR | O_NONBLOCK)
                    : try open(target, O_WRONLY | O_APPEND | O_CREAT, mode: 0o644)
            } catch {
                Descriptor.close(pipe.read)
                throw error
            }
            let relay = Relay(
                name: name, source: pipe.read, sink: sink, sinkIsPollable: pollable, watcher: watcher, logger: logger)
            if !pollable {
                // stdout and stderr may share one file (file://): one index.
                relay.index = indexes[target] ?? LogIndex(logPath: target)
                indexes[target] = relay.index
            }
            outputRelays.append(relay)
        }
    }

    private func prepareTerminal(socketPath: String) throws(ShimError) {
        FileSystem.remove(socketPath)
        do {
            consoleListener = try UnixSocket.listen(path: socketPath, backlog: 1)
        } catch {
            throw ShimError("failed to create OCI runtime console socket", error)
        }
        consoleSocketPath = socketPath
        if !request.stdin.isEmpty {
            stdinFIFO = try open(request.stdin, O_RDONLY | O_NONBLOCK)
        }
        if !request.stdout.isEmpty {
            if FileSystem.kind(request.stdout) == .fifo {
                outputSink = try open(request.stdout, O_RDWR | O_NONBLOCK)
            } else {
                outputSink = try open(Self.path(ofURI: request.stdout), O_WRONLY | O_APPEND | O_CREAT, mode: 0o644)
            }
        }
    }

    private func prepareBinary(processID: String, namespace: String) throws(ShimError) {
        let uri = request.stdout.dropFirst("binary://".count)
        let path = String(uri.prefix { $0 != "?" })
        var arguments = [path]
        if let query = uri.firstIndex(of: "?") {
            for pair in uri[uri.index(after: query)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                arguments.append(Self.percentDecoded(parts[0]))
                if parts.count > 1 { arguments.append(Self.percentDecoded(parts[1])) }
            }
        }
        let out = try makePipe()
        let err = try makePipe()
        let ready = try makePipe()
        childEnds += [out.write, err.write]
        executorStdio.output = out.write
        executorStdio.error = err.write
        defer {
            Descriptor.close(out.read)
            Descriptor.close(err.read)
            Descriptor.close(ready.write)
        }
        var options = Spawn.Options()
        options.extraDescriptors = [out.read, err.read, ready.write]
        do {
            let child = try Spawn.launch(
                path: path, arguments: arguments,
                environment: ["CONTAINER_ID=\(processID)", "CONTAINER_NAMESPACE=\(namespace)"], options: options)
            if child.pidfd >= 0 { Descriptor.close(child.pidfd) }
        } catch {
            throw ShimError("failed to start binary process", error)
        }
        Descriptor.close(ready.write)
        // The logging binary closes fd 5 (or writes to it) once it is ready.
        _ = Descriptor.waitReadable(ready.read, timeoutMilliseconds: 10_000)
        Descriptor.close(ready.read)
    }

    // MARK: after the executor ran

    /// Closes the process's ends (the process has its own copies now) and,
    /// for a terminal, receives the pty master; then starts copying.
    func startCopying() throws(ShimError) {
        for fd in childEnds { Descriptor.close(fd) }
        childEnds.removeAll()
        if request.terminal {
            try receiveConsole()
        }
        stdinRelay?.start()
        for relay in outputRelays {
            relay.onFinished = { [unowned self] in self.outputFinished() }
            relay.start()
        }
        if outputRelays.isEmpty { outputFinished() }
    }

    private func receiveConsole() throws(ShimError) {
        defer { closeConsoleListener() }
        do {
            guard let connection = try UnixSocket.accept(consoleListener) else {
                throw ShimError(code: .internal, message: "failed to retrieve console master: no connection")
            }
            defer { Descriptor.close(connection) }
            try Descriptor.setNonBlocking(connection, false)
            master = try UnixSocket.receiveDescriptor(connection)
        } catch let error as SystemError {
            throw ShimError("failed to retrieve console master", error)
        } catch let error as ShimError {
            throw error
        } catch {
            throw ShimError(code: .internal, message: "failed to retrieve console master: \(error)")
        }
        try? Descriptor.setNonBlocking(master)
        if stdinFIFO >= 0 {
            stdinRelay = Relay(
                name: "stdin", source: stdinFIFO, sink: master, sinkIsPollable: true, closesSink: false,
                watcher: watcher, logger: logger)
            stdinFIFO = -1
        }
        if outputSink >= 0 {
            let pollable = FileSystem.kind(request.stdout) == .fifo
            let relay = Relay(
                name: "console", source: master, sink: outputSink, sinkIsPollable: pollable, closesSource: false,
                watcher: watcher, logger: logger)
            if !pollable { relay.index = LogIndex(logPath: Self.path(ofURI: request.stdout)) }
            outputRelays.append(relay)
            outputSink = -1
        }
    }

    // MARK: operations

    /// CloseIO: forwards what is already in the stdin FIFO, then closes the
    /// process's stdin (for a terminal, stops forwarding input).
    func closeStdin() {
        stdinRelay?.finishSource()
        if stdinFIFO >= 0 {
            Descriptor.close(stdinFIFO)
            stdinFIFO = -1
        }
    }

    /// ResizePty.
    func resize(width: UInt32, height: UInt32) throws(ShimError) {
        guard master >= 0 else { return }
        do {
            try Terminal.setWindowSize(master, rows: UInt16(clamping: height), columns: UInt16(clamping: width))
        } catch {
            throw ShimError("resize pty", error)
        }
    }

    /// Whether all output has been copied (or given up on).
    var isDrained: Bool { outputRelays.allSatisfy(\.isFinished) }

    /// Calls `body` once all output is copied, or once no byte has moved for
    /// `idleMilliseconds` (a descendant that escaped may hold the pipe).
    func whenDrained(idleMilliseconds: Int64, _ body: @escaping () -> Void) {
        if isDrained {
            body()
            return
        }
        drainWaiters.append(body)
        scheduleDrainCheck(idleMilliseconds)
    }

    private func scheduleDrainCheck(_ idle: Int64) {
        guard drainTimer == nil else { return }
        drainTimer = loop.schedule(afterMilliseconds: idle) { [weak self] in
            guard let self else { return }
            self.drainTimer = nil
            guard !self.isDrained else { return }
            let last = self.outputRelays.map(\.lastActivity).max() ?? 0
            if MonotonicClock.milliseconds() - last >= idle {
                self.logger.warning("output did not reach end of file; giving up on it")
                for relay in self.outputRelays { relay.abandon() }
            } else {
                self.scheduleDrainCheck(idle)
            }
        }
    }

    private func outputFinished() {
        guard isDrained else { return }
        if let drainTimer {
            loop.cancel(drainTimer)
            self.drainTimer = nil
        }
        if master >= 0 {
            // The terminal is done: stop feeding it input.
            stdinRelay?.abandon()
            Descriptor.close(master)
            master = -1
        }
        let waiters = drainWaiters
        drainWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    /// Stops everything and closes every descriptor.
    func close() {
        guard !closed else { return }
        closed = true
        for fd in childEnds { Descriptor.close(fd) }
        childEnds.removeAll()
        stdinRelay?.abandon()
        for relay in outputRelays { relay.abandon() }
        closeConsoleListener()
        for fd in [master, stdinFIFO, outputSink] where fd >= 0 { Descriptor.close(fd) }
        master = -1
        stdinFIFO = -1
        outputSink = -1
        if let drainTimer { loop.cancel(drainTimer) }
        let waiters = drainWaiters
        drainWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    private func closeConsoleListener() {
        if consoleListener >= 0 {
            Descriptor.close(consoleListener)
            consoleListener = -1
        }
        if let consoleSocketPath { FileSystem.remove(consoleSocketPath) }
    }

    // MARK: helpers

    private func open(_ path: String, _ flags: Int32, mode: UInt32 = 0) throws(ShimError) -> Int32 {
        do {
            return try Descriptor.open(path, flags, mode: mode)
        } catch {
            throw ShimError("containerd-shim: opening \(path) failed", error)
        }
    }

    private func makePipe() throws(ShimError) -> (read: Int32, write: Int32) {
        do {
            return try Descriptor.pipe()
        } catch {
            throw ShimError("create pipe", error)
        }
    }

    /// The path of a `file://` or `fifo://` URI; other strings are paths.
    static func path(ofURI uri: String) -> String {
        for scheme in ["file://", "fifo://"] where uri.hasPrefix(scheme) {
            return percentDecoded(uri.dropFirst(scheme.count).prefix { $0 != "?" })
        }
        return uri
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
