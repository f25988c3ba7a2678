import BerthAPI
import BerthShimProto
import BerthTestSupport
import Foundation
import Synchronization
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import SwiftProtobuf
import Testing

/// Issue 7's restart acceptance: tasks survive a SIGKILLed berthd; an exit
/// during the downtime is reported once; a shim killed during the downtime
/// is reported as exited; nothing leaks after the deletes.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonRestartTests {
    /// How long berthd stays down: longer than any shim's retry window
    /// (containerd's shim gives up after ~20 s; the issue asks for > 60 s).
    static let downtime: TimeInterval = 61

    @Test func tasksSurviveADaemonKilledForAMinute() async throws {
        let ns = "restart"
        let daemon = try DaemonTaskTests.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let image = DaemonTaskTests.image
        for id in ["r1", "r2", "r3", "gone"] {
            let run = try daemon.ctr(["run", "-d", image, id, "sleep", "1000"], namespace: ns)
            try #require(run.status == 0, "\(run.stderr)\n\(daemon.log())")
        }
        // Exits with 7 once /tmp/go exists inside it, i.e. while berthd is down.
        let seven = try daemon.ctr(
            ["run", "-d", image, "seven", "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 7"],
            namespace: ns)
        try #require(seven.status == 0, "\(seven.stderr)")
        let goneShim = try Self.shimPID(daemon, ns: ns, id: "gone")

        #expect(daemon.stop(signal: SIGKILL) != nil)
        let sevenPID = try Self.taskPIDFromProc(daemon, ns: ns, id: "seven")
        #expect(Self.enter(pid: sevenPID, run: "touch /tmp/go"))
        kill(goneShim, SIGKILL)
        try await Task.sleep(for: .seconds(Self.downtime))

        try daemon.start()
        let envelopes = try await Self.events(
            daemon, ns: ns,
            until: { log in
                log.contains("duplicate event dropped") || log.contains("shim disconnected")
            })
        let list = try daemon.ctr(["tasks", "ls"], namespace: ns)
        for id in ["r1", "r2", "r3"] {
            #expect(Self.status(list.stdout, id) == "RUNNING", "\(list.stdout)")
        }
        #expect(Self.status(list.stdout, "seven") == "STOPPED", "\(list.stdout)\n\(daemon.log())")
        #expect(Self.status(list.stdout, "gone") == "STOPPED", "\(list.stdout)")

        let exits = envelopes.filter { $0.topic == "/tasks/exit" }.compactMap {
            try? Containerd_Events_TaskExit(serializedBytes: $0.event.value)
        }
        let sevenExits = exits.filter { $0.containerID == "seven" }
        #expect(sevenExits.count == 1, "\(exits)")
        #expect(sevenExits.first?.exitStatus == 7)
        #expect(exits.filter { $0.containerID == "gone" }.count == 1, "\(exits)")
        #expect(exits.allSatisfy { ["seven", "gone"].contains($0.containerID) }, "\(exits)")

        // Wait reports the recorded exit; delete everything.
        for id in ["r1", "r2", "r3"] {
            #expect(try daemon.ctr(["tasks", "kill", "-s", "9", id], namespace: ns).status == 0)
        }
        for id in ["r1", "r2", "r3", "seven", "gone"] {
            #expect(try await daemon.removeStoppedTask(id, namespace: ns), "task \(id)")
            #expect(DaemonTaskTests.leftovers(daemon, namespace: ns, id: id).isEmpty, "\(id)")
        }
        #expect(Self.shims(namespace: ns).isEmpty, "shims left: \(Self.shims(namespace: ns))")
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(daemon.state), "mounts left under the state directory")
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: daemon.directory.path + "/run/s")) ?? []
        #expect(sockets.isEmpty, "sockets left: \(sockets)")
    }

    /// The STATUS column of `ctr tasks ls` for `id`.
    static func status(_ table: String, _ id: String) -> String? {
        for line in table.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            if columns.first.map(String.init) == id { return columns.last.map(String.init) }
        }
        return nil
    }

    /// The task's pid from `ctr tasks ls`.
    static func taskPID(_ daemon: DaemonHarness, ns: String, id: String) throws -> Int32 {
        let list = try daemon.ctr(["tasks", "ls"], namespace: ns)
        for line in list.stdout.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            if columns.first.map(String.init) == id, columns.count >= 2, let pid = Int32(columns[1]) { return pid }
        }
        throw HarnessError("no task \(id): \(list.stdout)")
    }

    /// The task pid from the bundle's `init.pid` (berthd is down).
    static func taskPIDFromProc(_ daemon: DaemonHarness, ns: String, id: String) throws -> Int32 {
        let file = daemon.state + "/io.containerd.runtime.v2.task/\(ns)/\(id)/init.pid"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw HarnessError("no \(file)") }
        return pid
    }

    /// The shim of a task: the parent of its init (the shim is a subreaper).
    static func shimPID(_ daemon: DaemonHarness, ns: String, id: String) throws -> Int32 {
        let pid = try taskPID(daemon, ns: ns, id: id)
        guard let parent = ProcessParent.of(pid) else { throw HarnessError("no parent for \(pid)") }
        return parent
    }

    /// Runs a shell command inside the container of `pid` (nsenter).
    static func enter(pid: Int32, run command: String) -> Bool {
        (try? CommandResult.run("/usr/bin/nsenter", ["-t", "\(pid)", "-m", "/bin/sh", "-c", command]).status) == 0
    }

    /// Live (not zombie) shim processes of `namespace`.
    static func shims(namespace: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                !stat.contains(") Z ")
            else { return false }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains("-namespace") && arguments.contains(namespace)
                && arguments.first.map { $0.contains("shim") } == true
        }
    }

    /// Subscribes with `berth-events-since: 0` (every retained event) and
    /// collects envelopes until `done(berthd log)` holds and 2 s more have
    /// passed, or 40 s at most (the shim's retry backoff tops out at 30 s).
    static func events(_ daemon: DaemonHarness, ns: String, until done: @escaping @Sendable (String) -> Bool)
        async throws -> [Containerd_Services_Events_V1_Envelope]
    {
        let metadata: Metadata = ["containerd-namespace": "\(ns)", "berth-events-since": "0"]
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: daemon.address), transportSecurity: .plaintext)
        let log: @Sendable () -> String = { [logPath = daemon.logPath] in
            (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        }
        return try await withGRPCClient(transport: transport) { client in
            return try await withThrowingTaskGroup(of: [Containerd_Services_Events_V1_Envelope].self) { group in
                let collected = CollectedEvents()
                group.addTask {
                    let events = Containerd_Services_Events_V1_Events.Client(wrapping: client)
                    return try await events.subscribe(
                        Containerd_Services_Events_V1_SubscribeRequest(), metadata: metadata
                    ) {
                        response in
                        for try await envelope in response.messages { collected.append(envelope) }
                        return []
                    }
                }
                let start = Date()
                var doneAt: Date?
                while Date().timeIntervalSince(start) < 40 {
                    if doneAt == nil, done(log()) { doneAt = Date() }
                    if let doneAt, Date().timeIntervalSince(doneAt) > 2 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                group.cancelAll()
                return collected.all
            }
        }
    }
}

/// Envelopes a subscriber task collects.
final class CollectedEvents: Sendable {
    private let storage = Mutex<[Containerd_Services_Events_V1_Envelope]>([])
    func append(_ envelope: Containerd_Services_Events_V1_Envelope) { storage.withLock { $0.append(envelope) } }
    var all: [Containerd_Services_Events_V1_Envelope] { storage.withLock { $0 } }
}

extension DaemonRestartTests {
    /// A crash in the middle of Create or Delete (simulated by the intent
    /// markers those operations leave while they run) is finished at the
    /// next start: the shim is stopped, the rootfs unmounted, the bundle
    /// removed; the container records stay.
    @Test func interruptedCreateAndDeleteAreFinishedAtStart() throws {
        let ns = "intent"
        let daemon = try DaemonTaskTests.daemon(namespace: ns)
        defer { daemon.cleanup() }
        for id in ["half-created", "half-deleted", "kept"] {
            let run = try daemon.ctr(["run", "-d", DaemonTaskTests.image, id, "sleep", "1000"], namespace: ns)
            try #require(run.status == 0, "\(run.stderr)")
        }
        let shims = try ["half-created", "half-deleted"].map { try Self.shimPID(daemon, ns: ns, id: $0) }
        #expect(daemon.stop(signal: SIGKILL) != nil)
        let bundles = daemon.state + "/io.containerd.runtime.v2.task/\(ns)/"
        #expect(FileManager.default.createFile(atPath: bundles + "half-created/.creating", contents: nil))
        #expect(FileManager.default.createFile(atPath: bundles + "half-deleted/.deleting", contents: nil))

        try daemon.start()
        let list = try daemon.ctr(["tasks", "ls"], namespace: ns)
        #expect(Self.status(list.stdout, "kept") == "RUNNING", "\(list.stdout)")
        #expect(Self.status(list.stdout, "half-created") == nil, "\(list.stdout)")
        #expect(Self.status(list.stdout, "half-deleted") == nil, "\(list.stdout)")
        for (id, shim) in zip(["half-created", "half-deleted"], shims) {
            #expect(DaemonTaskTests.leftovers(daemon, namespace: ns, id: id).isEmpty, "\(id)")
            var gone = false
            for _ in 0..<100 where !gone {
                gone = !Self.isLiveProcess(shim)
                if !gone { Thread.sleep(forTimeInterval: 0.05) }
            }
            #expect(gone, "shim of \(id) still running")
        }
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(bundles + "half-"), "rootfs mounts left")
        let containers = try daemon.ctr(["containers", "ls", "-q"], namespace: ns)
        #expect(containers.stdout.split(separator: "\n").count == 3, "\(containers.stdout)")

        #expect(try daemon.ctr(["tasks", "kill", "-s", "9", "kept"], namespace: ns).status == 0)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try daemon.ctr(["tasks", "rm", "kept"], namespace: ns).status == 0)
        #expect(Self.shims(namespace: ns).isEmpty)
    }

    /// Whether `pid` exists and is not a zombie.
    static func isLiveProcess(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }
}
