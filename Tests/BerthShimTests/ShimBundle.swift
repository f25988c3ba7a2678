import BerthShimProto
import BerthSystem
import BerthTestSupport
import Foundation
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#endif

/// A bundle driven by the shim binary directly, without containerd: the
/// test plays the daemon (bootstrap, ttrpc calls, events service).
final class ShimBundle {
    static let namespace = "bshim"
    let directory: String
    let id: String
    var bundle: String { directory + "/b/" + id }
    /// The `-address` given to the shim (only names its socket and executor root).
    var daemonAddress: String { directory + "/d.sock" }
    var eventsAddress: String { directory + "/e.sock" }
    var executorRoot: String { directory + "/runc/" + Self.namespace }
    /// The executor `Create` asks for through runtime options; nil sends none (runc by default).
    let executor: ShimExecutor?
    private(set) var socket: String = ""
    private var cleaned = false

    /// A bundle whose process runs `arguments` in the busybox rootfs.
    init(
        id: String = "t1", arguments: [String], memoryLimit: Int? = nil, terminal: Bool = false,
        executor: ShimExecutor? = nil
    ) throws {
        var template = Array("/tmp/bsd-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw HarnessError("mkdtemp failed")
        }
        directory = String(cString: made)
        self.id = id
        self.executor = executor
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        let spec = try Run.command("/usr/sbin/runc", ["spec", "--bundle", bundle])
        guard spec.status == 0 else { throw HarnessError("runc spec: \(spec.stderr)") }
        let configPath = bundle + "/config.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: configPath))
        guard var config = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            var process = config["process"] as? [String: Any], var linux = config["linux"] as? [String: Any]
        else { throw HarnessError("runc spec: unexpected config.json") }
        process["terminal"] = terminal
        process["args"] = arguments
        config["process"] = process
        config["root"] = ["path": try ShimTestEnvironment.imageDirectory() + "/busybox.rootfs", "readonly": true]
        if let memoryLimit {
            linux["resources"] = ["memory": ["limit": memoryLimit, "swap": memoryLimit]]
        }
        linux["cgroupsPath"] = "/berth-shim-tests/\(URL(fileURLWithPath: directory).lastPathComponent)-\(id)"
        config["linux"] = linux
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        // A plain file as the log: the shim appends its logfmt lines to it.
        FileManager.default.createFile(atPath: bundle + "/log", contents: nil)
    }

    /// Runs `berth-shim … start` in the bundle; returns the socket address.
    @discardableResult
    func start(events: Bool = true) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        if events { environment["TTRPC_ADDRESS"] = eventsAddress }
        let result = try Run.command(
            ShimTestEnvironment.shim,
            [
                "-namespace", Self.namespace, "-address", daemonAddress, "-publish-binary", "/bin/true", "-id", id,
                "start",
            ],
            environment: environment, directory: bundle)
        guard result.status == 0 else { throw HarnessError("shim start failed: \(result.stderr)") }
        socket = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return socket
    }

    func client() throws -> SyncTTRPC {
        try SyncTTRPC(address: socket)
    }

    /// The shim's own log.
    var log: String { (try? String(contentsOfFile: bundle + "/log", encoding: .utf8)) ?? "" }

    func create(
        _ client: SyncTTRPC, stdin: String = "", stdout: String = "", stderr: String = "", terminal: Bool = false,
        options: Google_Protobuf_Any? = nil
    ) throws -> UInt32 {
        var request = Containerd_Task_V2_CreateTaskRequest()
        request.id = id
        request.bundle = bundle
        request.stdin = stdin
        request.stdout = stdout
        request.stderr = stderr
        request.terminal = terminal
        if let executor { request.options = try executor.runtimeOptions }
        if let options { request.options = options }
        let response: Containerd_Task_V2_CreateTaskResponse = try client.call(TaskService.name, "Create", request)
        return response.pid
    }

    func startTask(_ client: SyncTTRPC, exec: String = "") throws -> UInt32 {
        var request = Containerd_Task_V2_StartRequest()
        request.id = id
        request.execID = exec
        let response: Containerd_Task_V2_StartResponse = try client.call(TaskService.name, "Start", request)
        return response.pid
    }

    func sendWait(_ client: SyncTTRPC, exec: String = "") throws -> UInt32 {
        var request = Containerd_Task_V2_WaitRequest()
        request.id = id
        request.execID = exec
        return try client.send(TaskService.name, "Wait", request)
    }

    func state(_ client: SyncTTRPC, exec: String = "") throws -> Containerd_Task_V2_StateResponse {
        var request = Containerd_Task_V2_StateRequest()
        request.id = id
        request.execID = exec
        return try client.call(TaskService.name, "State", request)
    }

    func kill(_ client: SyncTTRPC, signal: UInt32, exec: String = "", all: Bool = false) throws {
        var request = Containerd_Task_V2_KillRequest()
        request.id = id
        request.execID = exec
        request.signal = signal
        request.all = all
        let _: Google_Protobuf_Empty = try client.call(TaskService.name, "Kill", request)
    }

    func exec(
        _ client: SyncTTRPC, exec: String, arguments: [String], stdout: String = "", terminal: Bool = false
    ) throws {
        try client.receiveEmpty(
            try sendExec(client, exec: exec, arguments: arguments, stdout: stdout, terminal: terminal))
    }

    /// Sends an Exec without waiting for the answer (`receiveEmpty` it later).
    func sendExec(
        _ client: SyncTTRPC, exec: String, arguments: [String], stdout: String = "", terminal: Bool = false
    ) throws -> UInt32 {
        var request = Containerd_Task_V2_ExecProcessRequest()
        request.id = id
        request.execID = exec
        request.stdout = stdout
        request.terminal = terminal
        let process: [String: Any] = [
            "args": arguments, "cwd": "/", "env": ["PATH=/bin:/usr/bin"], "user": ["uid": 0, "gid": 0],
            "terminal": terminal,
        ]
        request.spec.typeURL = "types.containerd.io/opencontainers/runtime-spec/1/Process"
        request.spec.value = try JSONSerialization.data(withJSONObject: process)
        return try client.send(TaskService.name, "Exec", request)
    }

    /// Sends a Start without waiting for the answer.
    func sendStart(_ client: SyncTTRPC, exec: String = "") throws -> UInt32 {
        var request = Containerd_Task_V2_StartRequest()
        request.id = id
        request.execID = exec
        return try client.send(TaskService.name, "Start", request)
    }

    func delete(_ client: SyncTTRPC, exec: String = "") throws -> Containerd_Task_V2_DeleteResponse {
        var request = Containerd_Task_V2_DeleteRequest()
        request.id = id
        request.execID = exec
        return try client.call(TaskService.name, "Delete", request)
    }

    func shimPID(_ client: SyncTTRPC) throws -> Int32 {
        var request = Containerd_Task_V2_ConnectRequest()
        request.id = id
        let response: Containerd_Task_V2_ConnectResponse = try client.call(TaskService.name, "Connect", request)
        return Int32(response.shimPid)
    }

    /// The shim's `delete` action, as a daemon runs it for a dead shim: the
    /// executor (from `options.json`, with its quirks) deletes the container.
    func deleteAction(bundleFlag: Bool = false) throws -> Run.Result {
        try Run.command(
            ShimTestEnvironment.shim,
            ["-namespace", Self.namespace, "-address", daemonAddress, "-id", id]
                + (bundleFlag ? ["-bundle", bundle] : []) + ["delete"],
            directory: bundle, timeout: 60)
    }

    /// Kills the shim (by the pid it reports) and the container, removes the tree.
    func cleanup() {
        guard !cleaned else { return }
        cleaned = true
        if !socket.isEmpty, let client = try? client() {
            if let pid = try? shimPID(client) { Glibc.kill(pid, SIGKILL) }
            client.close()
        }
        // The shim's own `delete` knows the executor and its quirks (crun's
        // mount namespace); plain runc covers a bundle the shim never created.
        if FileManager.default.fileExists(atPath: bundle + "/options.json") { _ = try? deleteAction() }
        _ = try? Run.command("/usr/sbin/runc", ["--root", executorRoot, "delete", "--force", id], timeout: 30)
        try? FileManager.default.removeItem(atPath: directory)
        // runc removes the container's cgroups but not their (empty) parent.
        for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            rmdir("/sys/fs/cgroup/\(controller)/berth-shim-tests")
        }
    }

    deinit { cleanup() }
}
