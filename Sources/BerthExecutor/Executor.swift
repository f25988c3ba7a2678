import BerthErrors
public import BerthSystem

/// Runs commands to completion; ``Reaper`` is the real one, tests use a
/// recording fake.
public protocol CommandRunning: AnyObject {
    /// Runs `command` until it exits.
    func run(_ command: Command) throws(SystemError) -> CommandResult
}

extension Reaper: CommandRunning {}

/// Where the executor's standard descriptors go for `create` and `exec`:
/// the container process inherits them.
public struct ProcessStdio: Sendable, Equatable {
    public var input: Int32
    public var output: Int32
    public var error: Int32

    /// Descriptors for 0, 1 and 2; -1 means /dev/null.
    public init(input: Int32 = -1, output: Int32 = -1, error: Int32 = -1) {
        self.input = input
        self.output = output
        self.error = error
    }
}

/// One executor, ready to run verbs: argv from the ``ExecutorDriver``,
/// spawn options from ``ExecutorQuirks``, errors as ``ExecutorError`` with
/// the executor's own explanation.
public final class Executor {
    /// The argv builder.
    public let driver: ExecutorDriver
    /// How the executor is spawned on this host.
    public let quirks: ExecutorQuirks
    private let runner: any CommandRunning
    private let environment: [String]
    private let binaryPath: String
    /// The longest a verb may run before it is killed.
    public var timeoutMilliseconds: Int64 = 120_000

    /// An executor for `configuration`; `binary` is looked up in the `PATH`
    /// of `environment` unless it is a path.
    public init(
        configuration: ExecutorConfiguration,
        quirks: ExecutorQuirks,
        runner: any CommandRunning,
        environment: [String]
    ) throws(ExecutorError) {
        var configuration = configuration
        configuration.extraGlobalArguments = quirks.extraGlobalArguments + configuration.extraGlobalArguments
        self.driver = ExecutorDriver(configuration: configuration)
        self.quirks = quirks
        self.runner = runner
        self.environment = environment
        guard let path = Self.resolve(configuration.binary, environment: environment) else {
            throw ExecutorError(
                code: .notFound, message: "\(configuration.binary): executable file not found in $PATH")
        }
        self.binaryPath = path
    }

    /// `create`: the container's init is set up and waits for `start`.
    public func create(
        id: String, bundle: String, pidFile: String, consoleSocket: String?, stdio: ProcessStdio,
        noPivot: Bool = false, noNewKeyring: Bool = false
    ) throws(ExecutorError) {
        let argv = driver.create(
            id: id, bundle: bundle, pidFile: pidFile, consoleSocket: consoleSocket, noPivot: noPivot,
            noNewKeyring: noNewKeyring)
        try run(argv, verb: "create", stdio: stdio, workingDirectory: bundle)
    }

    /// `start`.
    public func start(id: String) throws(ExecutorError) {
        try run(driver.start(id: id), verb: "start")
    }

    /// `exec --detach`: the process is running when this returns.
    /// `internalPIDFile` is written where the dialect has internal pids.
    public func exec(
        id: String, processFile: String, pidFile: String, consoleSocket: String?, stdio: ProcessStdio,
        internalPIDFile: String? = nil
    ) throws(ExecutorError) {
        let argv = driver.exec(
            id: id, processFile: processFile, pidFile: pidFile, consoleSocket: consoleSocket,
            internalPIDFile: internalPIDFile)
        try run(argv, verb: "exec", stdio: stdio)
    }

    /// `kill --pid PID ID SIGNAL`: one process inside the container, by its
    /// pid there (``ExecutorFeatures/execsHaveInternalPIDs``).
    public func kill(id: String, internalPID: Int32, signal: UInt32) throws(ExecutorError) {
        do {
            try run(driver.kill(id: id, signal: signal, all: false, pid: internalPID), verb: "kill")
        } catch {
            let text = error.message.lowercased()
            if text.contains("no such process") || text.contains("not running") || text.contains("not found")
                || text.contains("does not exist")
            {
                throw ExecutorError(code: .notFound, message: "process already finished")
            }
            throw error
        }
    }

    /// `kill`. A process or container that is gone is `notFound`, with
    /// containerd's messages.
    public func kill(id: String, signal: UInt32, all: Bool) throws(ExecutorError) {
        do {
            try run(driver.kill(id: id, signal: signal, all: all), verb: "kill")
        } catch {
            let text = error.message.lowercased()
            // A SIGKILL of a created container, with or without `--all`
            // (the init is then the only process): `delete --force`.
            if quirks.killCreatedByDeleting, signal == 9, text.contains("in state created") {
                try delete(id: id, force: true)
                return
            }
            if text.contains("container not running") || text.contains("no such process")
                || text.contains("process already finished") || text.contains("not running")
            {
                throw ExecutorError(code: .notFound, message: "process already finished")
            }
            if text.contains("does not exist") || text.contains("not found") {
                throw ExecutorError(code: .notFound, message: "no such container")
            }
            throw error
        }
    }

    /// `delete`; a container the executor no longer knows is not an error.
    public func delete(id: String, force: Bool) throws(ExecutorError) {
        do {
            try run(driver.delete(id: id, force: force), verb: "delete")
        } catch {
            if error.message.contains("does not exist") || error.message.contains("not found") { return }
            throw error
        }
    }

    /// `pause`.
    public func pause(id: String) throws(ExecutorError) {
        guard driver.features.canPause else { throw .unsupported(driver.configuration.dialect, "pause") }
        try run(driver.pause(id: id), verb: "pause")
    }

    /// `resume`.
    public func resume(id: String) throws(ExecutorError) {
        guard driver.features.canPause else { throw .unsupported(driver.configuration.dialect, "resume") }
        try run(driver.resume(id: id), verb: "resume")
    }

    /// `update --resources FILE`.
    public func update(id: String, resourcesFile: String) throws(ExecutorError) {
        guard let argv = driver.update(id: id, resourcesFile: resourcesFile) else {
            throw .unsupported(driver.configuration.dialect, "update")
        }
        try run(argv, verb: "update")
    }

    /// `ps --format json`: the pids in the container.
    public func ps(id: String) throws(ExecutorError) -> [Int32] {
        let output = try run(driver.ps(id: id), verb: "ps")
        return Self.parsePIDList(output)
    }

    /// `state`: the executor's JSON state document.
    public func state(id: String) throws(ExecutorError) -> [UInt8] {
        try run(driver.state(id: id), verb: "state")
    }

    /// Parses `[1, 2, 3]` (`ps --format json`); `null` is empty.
    public static func parsePIDList(_ bytes: [UInt8]) -> [Int32] {
        String(decoding: bytes, as: UTF8.self)
            .split { !$0.isNumber && $0 != "-" }
            .compactMap { Int32($0) }
    }

    @discardableResult
    private func run(
        _ argv: [String], verb: String, stdio: ProcessStdio? = nil, workingDirectory: String? = nil
    ) throws(ExecutorError) -> [UInt8] {
        var command = Command(path: binaryPath, arguments: argv, environment: environment)
        command.workingDirectory = workingDirectory
        if let stdio {
            command.standardInput = stdio.input >= 0 ? .descriptor(stdio.input) : .null
            command.standardOutput = stdio.output >= 0 ? .descriptor(stdio.output) : .null
            command.standardError = stdio.error >= 0 ? .descriptor(stdio.error) : .null
        }
        command.privateMountNamespace = quirks.privateMountNamespace
        command.detachUnmount = quirks.detachUnmount
        command.timeoutMilliseconds = timeoutMilliseconds
        let result: CommandResult
        do {
            result = try runner.run(command)
        } catch {
            throw ExecutorError(code: error.code, message: "OCI runtime \(verb) failed: \(error.message)")
        }
        guard !result.succeeded else { return result.standardOutput }
        var reason = Self.lastError(inStandardError: result.standardError)
        if reason.isEmpty, let log = driver.configuration.logPath {
            reason = Self.lastError(inLog: FileSystem.read(log, limit: 8 << 20) ?? [])
        }
        if reason.isEmpty { reason = result.timedOut ? "timed out" : result.status.description }
        throw ExecutorError(code: .unknown, message: "OCI runtime \(verb) failed: \(reason)")
    }

    /// The executor's explanation on stderr: the last non-empty line, with
    /// logrus decoration (`time="…" level=error msg="…"`) removed.
    static func lastError(inStandardError bytes: [UInt8]) -> String {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard let last = lines.last(where: { !$0.allSatisfy(\.isWhitespace) }) else { return "" }
        if let message = JSONField.string("msg", in: Substring(last)) { return message }
        if let range = last.firstRange(of: "msg=\"") {
            let rest = last[range.upperBound...]
            return String(rest.prefix { $0 != "\"" })
        }
        return String(last)
    }

    /// The message of the last error-level line of a JSON log (runc/crun `--log-format json`).
    static func lastError(inLog bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.suffix(64 << 10), as: UTF8.self)
        for line in text.split(separator: "\n").reversed() {
            if JSONField.string("level", in: line) == "error", let message = JSONField.string("msg", in: line) {
                return message
            }
        }
        return ""
    }

    private static func resolve(_ binary: String, environment: [String]) -> String? {
        if binary.contains("/") { return FileSystem.kind(binary) == .regular ? binary : nil }
        let path =
            environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = String(directory) + "/" + binary
            if FileSystem.kind(candidate) == .regular { return candidate }
        }
        return nil
    }
}
