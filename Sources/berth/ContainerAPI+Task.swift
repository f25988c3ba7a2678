import BerthAPI
import BerthShimProto
import Foundation
import GRPCCore
import SwiftProtobuf

/// The stdio of a task: paths the shim opens (files it appends to, or FIFOs).
struct TaskStdio: Sendable {
    var stdin = ""
    var stdout = ""
    var stderr = ""
    var terminal = false
}

/// Where a container's logs live: `stdout.log` and `stderr.log` in the
/// directory named by its `io.berth.log-dir` label. The shim appends to
/// them, so they outlive berthd and the CLI.
struct LogFiles: Sendable {
    /// The default root of the log directories (`--log-dir`, `$BERTH_LOG_DIR`).
    static let defaultRoot = "/var/lib/berth/logs"

    var directory: String
    var stdout: String { directory + "/stdout.log" }
    var stderr: String { directory + "/stderr.log" }
    /// The stdin FIFO of an interactive run.
    var stdinFIFO: String { directory + "/stdin.fifo" }

    init(directory: String) {
        self.directory = directory
    }

    /// Removes the files Berth puts in the directory, then the directory if
    /// it is empty (the label could name any directory: nothing else is
    /// deleted).
    func remove() {
        for path in [stdout, stderr, stdout + ".idx", stderr + ".idx", stdinFIFO] { unlink(path) }
        rmdir(directory)
    }

    init?(container: ContainerAPI.Container) {
        guard let directory = container.labels[ContainerAPI.logDirectoryLabel], !directory.isEmpty else { return nil }
        self.directory = directory
    }
}

extension ContainerAPI {
    /// Creates the container's task on its snapshot's mounts; its pid.
    /// A failure of the executor becomes exit status 126 or 127 as Docker's
    /// does (``CLIError/taskFailure(_:address:)``).
    @discardableResult
    func createTask(_ container: Container, stdio: TaskStdio) async throws -> UInt32 {
        var request = Containerd_Services_Tasks_V1_CreateTaskRequest()
        request.containerID = container.id
        if !container.snapshotKey.isEmpty {
            var mounts = Containerd_Services_Snapshots_V1_MountsRequest()
            mounts.snapshotter = container.snapshotter
            mounts.key = container.snapshotKey
            request.rootfs = try await snapshots.mounts(mounts, metadata: metadata).mounts
        }
        request.stdin = stdio.stdin
        request.stdout = stdio.stdout
        request.stderr = stdio.stderr
        request.terminal = stdio.terminal
        do {
            return try await tasks.create(request, metadata: metadata).pid
        } catch {
            throw CLIError.taskFailure(error, address: daemon.address)
        }
    }

    /// Starts the process, mapping executor failures as ``createTask(_:stdio:)`` does.
    func startMapped(_ id: String, execID: String = "") async throws {
        do {
            _ = try await start(id, execID: execID)
        } catch {
            throw CLIError.taskFailure(error, address: daemon.address)
        }
    }

    /// Whether the container's spec asks for a terminal.
    static func wantsTerminal(_ container: Container) -> Bool {
        (spec(of: container)?["process"] as? [String: Any])?["terminal"] as? Bool ?? false
    }

    /// Whether the container was created with `-i` (the runtime spec has no
    /// field for it, so Berth records it in a label).
    static func wantsStdin(_ container: Container) -> Bool {
        container.labels[interactiveLabel] == "true"
    }

    /// Berth's label: the container was created with `-i`.
    static let interactiveLabel = "io.berth.interactive"

    /// The stdio for the container's init: its log files, and a stdin FIFO
    /// when `interactive` (made here).
    static func initStdio(_ container: Container, logs: LogFiles, interactive: Bool) throws -> TaskStdio {
        try FileManager.default.createDirectory(atPath: logs.directory, withIntermediateDirectories: true)
        var stdio = TaskStdio(stdout: logs.stdout, terminal: wantsTerminal(container))
        if !stdio.terminal { stdio.stderr = logs.stderr }
        if interactive {
            unlink(logs.stdinFIFO)
            guard mkfifo(logs.stdinFIFO, 0o600) == 0 else {
                throw CLIError.local("mkfifo \(logs.stdinFIFO): \(String(cString: strerror(errno)))")
            }
            stdio.stdin = logs.stdinFIFO
        }
        return stdio
    }
}

extension CLIError {
    /// Docker's exit statuses for a process that could not start: 127 when
    /// the command does not exist, 126 when it cannot be run, else 125.
    static func taskFailure(_ error: any Error, address: String) -> CLIError {
        if let error = error as? CLIError { return error }
        var failure = CLIError.daemon(error, address: address)
        let message = (error as? RPCError)?.message.lowercased() ?? "\(error)".lowercased()
        if message.contains("executable file not found") || message.contains("no such file or directory")
            || message.contains("not found in $path")
        {
            failure.exitCode = 127
        } else if message.contains("permission denied") || message.contains("is a directory") {
            failure.exitCode = 126
        }
        return failure
    }
}
