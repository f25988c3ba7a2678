import BerthErrors
import BerthShimProto
import BerthSystem
import BerthTTRPC
import BerthTestSupport
import Foundation
import SwiftProtobuf
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Paths and preconditions shared by the shim's integration tests.
enum ShimTestEnvironment {
    static let repository = SchemaValidator.repositoryRoot
    static let shim = repository + "/.build/debug/berth-shim"

    /// Why the integration tests cannot run here, or nil.
    static var unavailableReason: String? {
        if getuid() != 0 { return "needs root (mounts, runc)" }
        if !FileManager.default.isExecutableFile(atPath: shim) { return "\(shim) not built (make build)" }
        for tool in ["/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) not installed"
        }
        return nil
    }

    static func has(_ tool: String) -> Bool {
        ["/usr/bin/", "/usr/sbin/", "/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + tool) }
    }

    /// The busybox test image, built once per test run (hack/make-test-image.sh).
    static let image: Result<String, HarnessError> = {
        let directory = "/tmp/berth-shim-test-image-\(getuid())"
        if FileManager.default.fileExists(atPath: directory + "/busybox.oci.tar"),
            FileManager.default.fileExists(atPath: directory + "/busybox.rootfs/bin/busybox")
        {
            return .success(directory)
        }
        do {
            let result = try Run.command(repository + "/hack/make-test-image.sh", [directory], timeout: 300)
            guard result.status == 0 else { return .failure(HarnessError("make-test-image: \(result.stderr)")) }
            return .success(directory)
        } catch {
            return .failure(HarnessError("make-test-image: \(error)"))
        }
    }()

    static func imageDirectory() throws -> String {
        try image.get()
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs commands to completion with their output in files (so megabytes of
/// output cannot deadlock), killing them by pid after a timeout.
enum Run {
    struct Result {
        var status: Int32
        var stdoutData: Data
        var stderr: String
        var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    }

    static func command(
        _ path: String, _ arguments: [String], environment: [String: String]? = nil, stdin: Data? = nil,
        directory: String? = nil, timeout: TimeInterval = 60
    ) throws -> Result {
        // BerthSystem.Spawn, not Foundation.Process: Process leaks a
        // descriptor into the child that a daemonizing script (containerd's
        // harness) hands on to the daemon, and then never sees the exit.
        let scratch = try TemporaryDirectory(prefix: "run")
        defer { scratch.remove() }
        let outPath = scratch.path + "/out"
        let errPath = scratch.path + "/err"
        let inPath = scratch.path + "/in"
        try (stdin ?? Data()).write(to: URL(fileURLWithPath: inPath))
        let input = open(inPath, O_RDONLY | O_CLOEXEC)
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer {
            close(input)
            close(out)
            close(err)
        }
        var options = Spawn.Options()
        options.stdio = (input, out, err)
        options.workingDirectory = directory
        let environment = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let child = try Spawn.launch(
            path: path, arguments: [path] + arguments, environment: environment, options: options)
        if child.pidfd >= 0 { close(child.pidfd) }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while waitpid(child.pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(child.pid, SIGKILL)
                waitpid(child.pid, &status, 0)
                throw HarnessError("\(path) \(arguments.joined(separator: " ")) timed out after \(timeout) s")
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        let code = WaitStatus(raw: status)?.exitCode ?? -1
        return Result(
            status: code,
            stdoutData: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(),
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// `sh -c script`.
    static func shell(_ script: String, timeout: TimeInterval = 60) throws -> Result {
        try command("/bin/sh", ["-c", script], timeout: timeout)
    }
}

/// A private containerd 1.6 (hack/containerd-private.sh) whose PATH starts
/// with a directory linking `containerd-shim-berth-v2` (and, optionally,
/// `containerd-shim-runc-v2`) to the built shim.
final class ContainerdHarness: @unchecked Sendable {
    let directory: String
    let namespace: String
    var address: String { directory + "/containerd.sock" }
    var binDirectory: String { directory + "/bin" }
    private var stopped = false

    init(shimAsRuncV2: Bool = false) throws {
        // Short paths: shim sockets live in DIR/s/<64 hex digits>.
        var template = Array("/tmp/bsc-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw HarnessError("mkdtemp failed")
        }
        directory = String(cString: made)
        // A namespace of its own (ctr puts containers in the cgroup /<namespace>/<id>).
        namespace = "bshim-" + directory.dropFirst("/tmp/bsc-".count)
        try FileManager.default.createDirectory(atPath: binDirectory, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: binDirectory + "/containerd-shim-berth-v2", withDestinationPath: ShimTestEnvironment.shim)
        if shimAsRuncV2 {
            try FileManager.default.createSymbolicLink(
                atPath: binDirectory + "/containerd-shim-runc-v2", withDestinationPath: ShimTestEnvironment.shim)
        }
        do {
            try start()
            let image = try ShimTestEnvironment.imageDirectory()
            let imported = try ctr([
                "images", "import", "--base-name", "localhost/berth/busybox", image + "/busybox.oci.tar",
            ])
            guard imported.status == 0 else { throw HarnessError("image import: \(imported.stderr)") }
        } catch {
            cleanup()
            throw error
        }
    }

    /// Starts containerd (again, after a kill: same root, state and sockets).
    func start() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["CONTAINERD_EXTRA_PATH"] = binDirectory
        let result = try Run.command(
            ShimTestEnvironment.repository + "/hack/containerd-private.sh", ["start", directory],
            environment: environment, timeout: 60)
        guard result.status == 0 else { throw HarnessError("containerd did not start: \(result.stderr)") }
    }

    /// containerd's pid.
    var daemonPID: Int32? {
        (try? String(contentsOfFile: directory + "/containerd.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// SIGKILLs containerd and waits for it to go.
    func killDaemon() {
        guard let pid = daemonPID else { return }
        kill(pid, SIGKILL)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, isAlive(pid) { Thread.sleep(forTimeInterval: 0.02) }
    }

    /// Runs `ctr --address … --namespace … args`.
    func ctr(_ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 60) throws -> Run.Result {
        try Run.command(
            "/usr/bin/ctr", ["--address", address, "--namespace", namespace] + arguments, stdin: stdin,
            timeout: timeout)
    }

    /// `ctr run --runtime io.containerd.berth.v2 [options] IMAGE id args…`.
    func run(
        _ id: String, _ arguments: [String], options: [String] = ["--rm"], runtime: String = "io.containerd.berth.v2",
        stdin: Data? = nil, timeout: TimeInterval = 60
    ) throws -> Run.Result {
        try ctr(
            ["run", "--runtime", runtime] + options + ["localhost/berth/busybox:latest", id] + arguments, stdin: stdin,
            timeout: timeout)
    }

    /// The task's row in `ctr tasks ls`: (pid, status), or nil.
    func task(_ id: String) throws -> (pid: Int32, status: String)? {
        let list = try ctr(["tasks", "ls"])
        for line in list.stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.count >= 3, fields[0] == id, let pid = Int32(fields[1]) { return (pid, String(fields[2])) }
        }
        return nil
    }

    /// Polls until the task's status is `status` (or it is gone, for nil).
    @discardableResult
    func waitForTask(_ id: String, status: String?, timeout: TimeInterval = 20) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let current = try task(id)?.status
            if current == status { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    /// The bundle of task `id`.
    func bundle(_ id: String) -> String {
        directory + "/state/io.containerd.runtime.v2.task/\(namespace)/\(id)"
    }

    /// The shim's pid, asked over ttrpc Connect through the bundle's address file.
    func shimPID(_ id: String) throws -> Int32 {
        let address = try String(contentsOfFile: bundle(id) + "/address", encoding: .utf8)
        let client = try SyncTTRPC(address: address)
        defer { client.close() }
        var request = Containerd_Task_V2_ConnectRequest()
        request.id = id
        let response: Containerd_Task_V2_ConnectResponse = try client.call(TaskService.name, "Connect", request)
        return Int32(response.shimPid)
    }

    /// The containerd log so far.
    var log: String {
        (try? String(contentsOfFile: directory + "/containerd.log", encoding: .utf8)) ?? ""
    }

    /// Stops containerd and every shim it started (by pid), unmounts and removes everything.
    func cleanup() {
        guard !stopped else { return }
        stopped = true
        // Delete what is left through the shims, so the executor removes its
        // state and cgroups; the harness script then kills anything by pid.
        if let list = try? ctr(["tasks", "ls", "-q"], timeout: 20) {
            for id in list.stdout.split(separator: "\n") {
                _ = try? ctr(["tasks", "rm", "-f", String(id)], timeout: 30)
            }
        }
        _ = try? Run.command(
            ShimTestEnvironment.repository + "/hack/containerd-private.sh", ["stop", directory], timeout: 60)
        // ctr puts containers in the cgroup /<namespace>/<id>: remove the empty leftovers.
        for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            let parent = "/sys/fs/cgroup/\(controller)/\(namespace)"
            for child in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
                rmdir(parent + "/" + child)
            }
            rmdir(parent)
        }
    }

    deinit { cleanup() }
}

func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    // A zombie (PID 1 here does not reap) counts as gone.
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}

/// A blocking ttrpc client for tests: one request at a time per call, or
/// `send` now and `receive` later (to have a Wait in flight).
final class SyncTTRPC {
    private let fd: Int32
    private var decoder = TTRPCFrameDecoder(role: .client)
    private var nextStream: UInt32 = 1
    private var stashed: [UInt32: TTRPCResponse] = [:]

    init(address: String) throws {
        let path = address.hasPrefix("unix://") ? String(address.dropFirst(7)) : address
        fd = try UnixSocket.connect(path: path.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func close() { Descriptor.close(fd) }

    func send(_ service: String, _ method: String, _ message: some Message, namespace: String = "bshim") throws
        -> UInt32
    {
        let stream = nextStream
        nextStream += 2
        let request = TTRPCRequest(
            service: service, method: method, payload: try message.serializedBytes(),
            metadata: [(TTRPCRequest.namespaceMetadataKey, namespace)])
        try Descriptor.writeAll(fd, try TTRPCFrame.request(streamID: stream, request).encoded())
        return stream
    }

    func receive<Response: Message>(_ stream: UInt32, timeout: TimeInterval = 30) throws -> Response {
        let deadline = Date().addingTimeInterval(timeout)
        while stashed[stream] == nil {
            if let frame = try decoder.nextFrame() {
                stashed[frame.streamID] = try frame.decodeResponse()
                continue
            }
            guard Date() < deadline else { throw HarnessError("ttrpc: no answer on stream \(stream)") }
            guard Descriptor.waitReadable(fd, timeoutMilliseconds: 100) else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let outcome = try buffer.withUnsafeMutableBytes { try Descriptor.read(fd, into: $0) }
            switch outcome {
            case .transferred(let n): decoder.append(buffer[0..<n])
            case .endOfFile: throw TTRPCError(code: .unavailable, message: "ttrpc: closed")
            case .wouldBlock: continue
            }
        }
        let response = stashed.removeValue(forKey: stream) ?? TTRPCResponse()
        let payload = try response.result().get()
        return try Response(serializedBytes: payload)
    }

    /// Receives an answer whose payload is `Empty`.
    func receiveEmpty(_ stream: UInt32, timeout: TimeInterval = 30) throws {
        let _: Google_Protobuf_Empty = try receive(stream, timeout: timeout)
    }

    func call<Response: Message>(
        _ service: String, _ method: String, _ message: some Message, timeout: TimeInterval = 30
    ) throws -> Response {
        try receive(try send(service, method, message), timeout: timeout)
    }
}

/// A stand-in for the daemon's ttrpc events service: records every
/// `Events/Forward`, with its metadata, on a thread of its own.
final class FakeEventsDaemon: Sendable {
    struct Received: Sendable {
        var topic: String
        var namespace: String
        var sequence: String
        var taskID: String
        var event: [UInt8]
        var typeURL: String
    }

    let path: String
    private let state = Mutex<(events: [Received], stop: Bool, done: Bool)>(([], false, false))

    init(path: String) {
        self.path = path
    }

    func start() throws {
        let listener = try UnixSocket.listen(path: path)
        let thread = Thread { [self] in
            guard let loop = try? EventLoop() else { return }
            let server = TTRPCServer(loop: loop, listener: listener)
            server.register(service: EventsService.name, method: "Forward") { request, responder in
                if let forward = try? Containerd_Services_Events_Ttrpc_V1_ForwardRequest(
                    serializedBytes: request.payload)
                {
                    let received = Received(
                        topic: forward.envelope.topic, namespace: request.namespace ?? "",
                        sequence: request.metadataValues(JournalService.sequenceMetadataKey).first ?? "",
                        taskID: request.metadataValues(JournalService.taskIDMetadataKey).first ?? "",
                        event: Array(forward.envelope.event.value), typeURL: forward.envelope.event.typeURL)
                    self.state.withLock { $0.events.append(received) }
                }
                responder.succeed(Google_Protobuf_Empty())
            }
            try? server.start()
            while !self.state.withLock({ $0.stop }) { loop.runOnce(timeoutMilliseconds: 20) }
            server.closeConnections()
            server.stopListening()
            self.state.withLock { $0.done = true }
        }
        thread.start()
    }

    var events: [Received] { state.withLock { $0.events } }
    var topics: [String] { events.map(\.topic) }

    /// Waits until `predicate` holds for the events received.
    @discardableResult
    func wait(timeout: TimeInterval = 20, until predicate: ([Received]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(events) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return predicate(events)
    }

    func stop() {
        state.withLock { $0.stop = true }
        let deadline = Date().addingTimeInterval(5)
        while !state.withLock({ $0.done }), Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        unlink(path)
    }
}
