import ArgumentParser
import BerthAPI
import BerthBundle
import BerthOCI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// `berth exec [-i] [-t] [-e] [-u] [-w] CONTAINER COMMAND…`: run a process in
/// a running container; the exit status is the process's.
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command in a running container.")

    @OptionGroup var client: ClientOptions

    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Keep stdin open.")
    var interactive = false

    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a terminal.")
    var tty = false

    @Flag(name: [.customShort("d"), .customLong("detach")], help: "Start the process and return.")
    var detach = false

    @Option(name: [.customShort("e"), .customLong("env")], help: "Set an environment variable (KEY=VALUE or KEY).")
    var env: [String] = []

    @Option(name: [.customShort("u"), .customLong("user")], help: "User: name, uid, name:group or uid:gid.")
    var user: String?

    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container.")
    var workdir: String?

    @Argument(help: "The container.")
    var container: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String]

    func run() async throws {
        var status: UInt32 = 0
        try await reportingContainerErrors {
            let arguments = command.first == "--" ? Array(command.dropFirst()) : command
            guard !arguments.isEmpty else {
                throw CLIError(description: "exec needs a command", exitCode: CLIError.daemonExitCode)
            }
            let reference = container
            status = try await client.client.containers { api in
                let container = try await api.container(reference)
                guard let task = try await api.task(container.id), task.status == .running else {
                    throw CLIError(description: "container \(reference) is not running", exitCode: 1)
                }
                let process = try makeProcess(container, arguments: arguments, rootfs: "/proc/\(task.pid)/root")
                return try await Self.exec(
                    api: api, id: container.id, process: process, interactive: interactive, tty: tty,
                    detach: detach)
            }
        }
        if status != 0 { throw ExitCode(Int32(bitPattern: status)) }
    }

    /// The container's process with this exec's arguments, terminal,
    /// environment, user and working directory.
    func makeProcess(_ container: ContainerAPI.Container, arguments: [String], rootfs: String) throws -> Spec.Process {
        let spec = try BundleWriter.decode([UInt8](container.spec.value))
        guard var process = spec.process else {
            throw CLIError(description: "container \(container.id) has no process in its spec", exitCode: 125)
        }
        process.args = arguments
        process.terminal = tty
        let environment = ProcessInfo.processInfo.environment
        var variables = process.env ?? []
        for entry in env {
            let value = try FlagParser.env(entry, lookup: { environment[$0] })
            let key = value.prefix { $0 != "=" }
            variables.removeAll { $0.prefix { $0 != "=" } == key }
            variables.append(value)
        }
        process.env = variables
        if let workdir { process.cwd = workdir }
        if let user {
            process.user = try Self.resolve(user, rootfs: rootfs)
        }
        return process
    }

    /// `-u`: resolved against the running container's `/etc/passwd` and
    /// `/etc/group` (through `/proc/PID/root`); where those cannot be read
    /// (runsc's pid is its sandbox's), only numeric `uid[:gid]` works.
    static func resolve(_ user: String, rootfs: String) throws -> Spec.User {
        if let resolver = try? UserResolver(rootfs: rootfs), let resolved = try? resolver.resolve(user) {
            return resolved
        }
        let parts = user.split(separator: ":", maxSplits: 1).map(String.init)
        guard let uid = parts.first.flatMap({ UInt32($0) }), parts.count == 1 || UInt32(parts[1]) != nil else {
            throw CLIError(description: "-u \(user): no such user or group in the container", exitCode: 125)
        }
        let gid = parts.count > 1 ? UInt32(parts[1]) ?? 0 : 0
        return Spec.User(uid: uid, gid: gid, additionalGids: [gid])
    }

    /// Runs `process` as an exec of task `id` through FIFOs in a temporary
    /// directory; its exit status (0 when detached).
    static func exec(
        api: ContainerAPI, id: String, process: Spec.Process, interactive: Bool, tty: Bool, detach: Bool
    ) async throws -> UInt32 {
        let execID = "exec-" + String(SpecCommand.randomID().prefix(16))
        let fifos = try ExecFIFOs(execID: execID, stdin: interactive && !detach, stderr: !tty, output: !detach)
        defer { fifos.remove() }
        var request = Containerd_Services_Tasks_V1_ExecProcessRequest()
        request.containerID = id
        request.execID = execID
        request.stdin = fifos.stdinPath ?? ""
        request.stdout = fifos.stdoutPath ?? ""
        request.stderr = fifos.stderrPath ?? ""
        request.terminal = tty
        request.spec.typeURL = ContainerAPI.processTypeURL
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        request.spec.value = try encoder.encode(process)
        _ = try await api.tasks.exec(request, metadata: api.metadata)

        let waiting = Task { try await api.wait(id, execID: execID) }
        do {
            try await api.startMapped(id, execID: execID)
        } catch {
            waiting.cancel()
            _ = try? await api.deleteProcess(id, execID: execID)
            throw error
        }
        if detach {
            waiting.cancel()
            return 0
        }
        let local = LocalTerminal()
        if tty {
            local.makeRaw()
            if let size = LocalTerminal.size() {
                try? await api.resize(id, execID: execID, width: size.width, height: size.height)
            }
        }
        defer { local.restore() }
        if let stdin = fifos.stdinPath {
            try StdinForwarder(fifo: stdin).start {
                let done = DispatchSemaphore(value: 0)
                Task {
                    try? await api.closeStdin(id, execID: execID)
                    done.signal()
                }
                done.wait()
            }
        }
        let copying = Task { await fifos.copy() }
        let status: UInt32
        do {
            status = try await waiting.value
        } catch {
            copying.cancel()
            await copying.value
            throw error
        }
        copying.cancel()
        await copying.value
        _ = try? await api.deleteProcess(id, execID: execID)
        return status
    }
}
