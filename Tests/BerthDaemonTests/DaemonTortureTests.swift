import BerthAPI
import BerthShimProto
import BerthTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import SwiftProtobuf
import Synchronization
import Testing

/// Crash torture (issue 9): a seeded random sequence of lifecycle operations
/// through real ctr, with berthd and shims SIGKILLed at random points. After
/// every restart and at the end the invariants are checked: every container's
/// task state matches what was done to it, no exit status is invented, each
/// exit is published once, nothing leaks, and SQLite is intact.
///
/// `make test` runs `TORTURE_OPS` (default 40) operations; `make torture`
/// runs many more. `TORTURE_SEED` replays a sequence.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonTortureTests {
    static let namespace = "torture"
    static var operations: Int { Int(ProcessInfo.processInfo.environment["TORTURE_OPS"] ?? "") ?? 40 }
    static var seed: UInt64 { UInt64(ProcessInfo.processInfo.environment["TORTURE_SEED"] ?? "") ?? 20_261_129 }

    /// What the test did to a container, so its state can be checked.
    enum Expected: Equatable {
        /// Running `sleep`.
        case running
        /// Exits by itself with this status (maybe already, maybe soon).
        case exits(UInt32)
        /// SIGKILLed, or its shim was: 137.
        case killed
        /// Exits by itself with this status, labelled `io.berth.auto-remove`:
        /// berthd then removes it (also after a restart).
        case removes(UInt32)

        var removesItself: Bool {
            if case .removes = self { return true }
            return false
        }
    }

    @Test func randomLifecyclesSurviveCrashes() async throws {
        let ns = Self.namespace
        let daemon = try DaemonTaskTests.daemon(namespace: ns)
        defer { daemon.cleanup() }
        var random = SeededRandom(seed: Self.seed)
        var containers: [String: Expected] = [:]
        var next = 0
        var faults = (daemon: 0, shim: 0)
        // Each daemon session's subscriber resumes where the previous one
        // stopped (`berth-events-since`), as a client would.
        var subscriber = try SessionEvents(daemon: daemon, namespace: ns, since: 0)
        var sessions: [SessionEvents] = []
        // Pulls from a loopback registry, when one can be run here.
        let registry = PullFixture.unavailableReason == nil ? try await RegistryFixture.start() : nil
        defer { registry?.stop() }
        let pullReference = try registry.map { registry in
            try PullFixture(daemon: daemon, registry: registry).pushBusybox(as: "torture/busybox:latest")
        }
        var pulls = 0

        for step in 0..<Self.operations {
            let running = containers.filter { $0.value == .running }.keys.sorted()
            let roll = random.next(100)
            if roll < 25 || containers.isEmpty {
                next += 1
                let id = "t\(next)"
                let run = try daemon.ctr(["run", "-d", DaemonTaskTests.image, id, "sleep", "1000"], namespace: ns)
                try #require(run.status == 0, "step \(step): run \(id): \(run.stderr)")
                containers[id] = .running
            } else if roll < 45 {
                next += 1
                let id = "t\(next)"
                let status = UInt32(random.next(100))
                // A generator of its own, so the main sequence of a seed
                // stays what it was before auto-remove was in the mix.
                var coin = SeededRandom(seed: Self.seed &+ UInt64(step))
                let removes = coin.next(3) == 0
                let label = removes ? ["--label", "io.berth.auto-remove=true"] : []
                let run = try daemon.ctr(
                    ["run", "-d"] + label + [
                        DaemonTaskTests.image, id, "sh", "-c", "sleep 0.\(random.next(5)); exit \(status)",
                    ], namespace: ns)
                try #require(run.status == 0, "step \(step): run \(id): \(run.stderr)")
                containers[id] = removes ? .removes(status) : .exits(status)
            } else if roll < 58, let id = running.randomElement(using: &random) {
                let status = random.next(50)
                let exec = try daemon.ctr(
                    ["tasks", "exec", "--exec-id", "e\(step)", id, "sh", "-c", "exit \(status)"], namespace: ns)
                #expect(exec.status == Int32(status), "step \(step): exec in \(id): \(exec.stderr)")
            } else if roll < 72, let id = running.randomElement(using: &random) {
                #expect(try daemon.ctr(["tasks", "kill", "-s", "9", id], namespace: ns).status == 0)
                containers[id] = .killed
            } else if roll < 84 {
                for id in containers.keys.sorted()
                where containers[id] != .running && containers[id]?.removesItself == false {
                    guard try daemon.ctr(["tasks", "rm", id], namespace: ns).status == 0 else { continue }
                    #expect(try daemon.ctr(["containers", "rm", id], namespace: ns).status == 0, "rm \(id)")
                    containers[id] = nil
                    break
                }
            } else if roll < 88, let reference = pullReference {
                // Half the time from nothing: the image and its content go first.
                if random.next(2) == 0 { _ = try daemon.ctr(["images", "rm", "--sync", reference], namespace: ns) }
                let pull = try daemon.ctr(["images", "pull", "--plain-http", reference], namespace: ns)
                #expect(pull.status == 0, "step \(step): pull: \(pull.stderr)")
                pulls += 1
            } else if roll < 94, let id = running.randomElement(using: &random) {
                let shim = try DaemonRestartTests.shimPID(daemon, ns: ns, id: id)
                kill(shim, SIGKILL)
                containers[id] = .killed
                faults.shim += 1
                try await Task.sleep(for: .milliseconds(300))
            } else {
                try await Task.sleep(for: .milliseconds(200))  // let events settle before the crash
                sessions.append(subscriber)
                #expect(daemon.stop(signal: SIGKILL) != nil)
                // The session's stream ends with the daemon: whatever berthd
                // wrote before it died is collected, not cut off by a cancel.
                await subscriber.drain()
                faults.daemon += 1
                try await Task.sleep(for: .milliseconds(Int(random.next(1500))))
                try daemon.start()
                subscriber = try SessionEvents(
                    daemon: daemon, namespace: ns, since: sessions.last?.lastSequence ?? 0)
                try await Self.checkStates(daemon, containers, step: step)
            }
        }
        try await Task.sleep(for: .seconds(1))
        try await Self.checkStates(daemon, containers, step: Self.operations)
        // Every auto-removed container is gone once it exited.
        let removing = Set(containers.filter { $0.value.removesItself }.keys)
        var left = removing
        for _ in 0..<100 where !left.isEmpty {
            let listed = Set(
                try daemon.ctr(["containers", "ls", "-q"], namespace: ns).stdout.split(separator: "\n").map(String.init)
            )
            left = removing.intersection(listed)
            if !left.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(left.isEmpty, "auto-remove containers left: \(left.sorted())")

        // Exits, counted over every daemon session: exactly one per stopped init.
        try await Task.sleep(for: .milliseconds(500))
        sessions.append(subscriber)
        subscriber.stop()
        // Every event, not only exits: the sessions together saw 1, 2, …, N,
        // each once, in order (nothing lost, nothing repeated).
        let sequences = sessions.flatMap(\.sequences)
        #expect(!sequences.isEmpty)
        #expect(
            sequences == Array(1...UInt64(max(sequences.count, 1))), "event sequence numbers: \(Self.gaps(sequences))")
        var exits: [String: [UInt32]] = [:]
        for session in sessions {
            for exit in session.initExits() { exits[exit.containerID, default: []].append(exit.exitStatus) }
        }
        for (id, expected) in containers where expected != .running {
            let seen = exits[id] ?? []
            #expect(seen.count == 1, "\(id): exits published \(seen)")
            if case .exits(let status) = expected { #expect(seen.allSatisfy { $0 == status }, "\(id): \(seen)") }
            if case .removes(let status) = expected { #expect(seen.allSatisfy { $0 == status }, "\(id): \(seen)") }
            if expected == .killed { #expect(seen.allSatisfy { $0 == 137 }, "\(id): \(seen)") }
        }

        // Clean up everything, then nothing may be left.
        for id in containers.keys where containers[id] == .running {
            _ = try daemon.ctr(["tasks", "kill", "-s", "9", id], namespace: ns)
        }
        for id in containers.keys.sorted() where !(containers[id]?.removesItself ?? false) {
            #expect(try await daemon.removeStoppedTask(id, namespace: ns), "tasks rm \(id)")
        }
        #expect(DaemonRestartTests.shims(namespace: ns).isEmpty, "shims left")
        if let pid = daemon.process?.processIdentifier {
            let counts = DaemonLeakTests.counts(berthd: pid, namespace: ns)
            #expect(counts.cgroups == 0, "cgroups left: \(counts)")
            #expect(counts.processes == 0, "processes left: \(counts)")
            #expect(Self.zombies(of: pid).isEmpty, "berthd left zombies: \(Self.zombies(of: pid))")
        }
        #expect(Self.fifos(under: daemon.state).isEmpty, "FIFOs left: \(Self.fifos(under: daemon.state))")
        if let pullReference {
            // A pull cut by a crash was redone or left nothing half-made.
            let check = try daemon.ctr(["images", "check"], namespace: ns)
            for line in check.stdout.split(separator: "\n") where line.hasPrefix(pullReference) {
                #expect(line.contains("complete"), "\(line)")
            }
        }
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(daemon.state), "mounts left")
        let bundles =
            (try? FileManager.default.contentsOfDirectory(
                atPath: daemon.state + "/io.containerd.runtime.v2.task/\(ns)")) ?? []
        #expect(bundles.isEmpty, "bundles left: \(bundles)")
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: daemon.directory.path + "/run/s")) ?? []
        #expect(sockets.isEmpty, "sockets left: \(sockets)")
        #expect(daemon.stop() == 0)
        let integrity = try CommandResult.run(
            "/usr/bin/sqlite3", [daemon.root + "/metadata/berth.db", "PRAGMA integrity_check"])
        #expect(integrity.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(integrity.stdout)")
        print(
            "torture: \(Self.operations) operations, \(pulls) pulls, \(removing.count) auto-removed, "
                + "\(faults.daemon) berthd kills, "
                + "\(faults.shim) shim kills, \(sequences.count) events over \(sessions.count) sessions, "
                + "seed \(Self.seed)")
    }

    /// berthd's children that exited and were not reaped.
    static func zombies(of pid: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter {
            guard ProcessParent.of($0) == pid,
                let stat = try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
        }
    }

    /// The FIFOs below `directory`.
    static func fifos(under directory: String) -> [String] {
        let found = (try? CommandResult.run("/usr/bin/find", [directory, "-type", "p"]))?.stdout ?? ""
        return found.split(separator: "\n").map(String.init)
    }

    /// Every container's task, as berthd reports it, matches the model; no
    /// exit status is invented.
    /// Where `sequences` departs from 1, 2, 3, …: repeats and gaps.
    static func gaps(_ sequences: [UInt64]) -> String {
        var notes: [String] = []
        var expected: UInt64 = 1
        for sequence in sequences {
            if sequence < expected {
                notes.append("\(sequence) again")
            } else if sequence > expected {
                notes.append("\(expected)...\(sequence - 1) missing")
            }
            expected = max(expected, sequence + 1)
        }
        return notes.isEmpty ? "in order" : notes.joined(separator: ", ")
    }

    static func checkStates(_ daemon: DaemonHarness, _ containers: [String: Expected], step: Int) async throws {
        let tasks = try await TaskList.get(daemon, namespace: namespace)
        let listed = Set(
            try daemon.ctr(["containers", "ls", "-q"], namespace: namespace).stdout.split(separator: "\n").map(
                String.init))
        // Auto-removed containers may already be gone; nothing else may be.
        let kept = Set(containers.filter { !$0.value.removesItself }.keys)
        #expect(
            listed.isSubset(of: Set(containers.keys)) && kept.isSubset(of: listed), "step \(step): container records")
        for (id, expected) in containers {
            let task = tasks[id]
            switch expected {
            case .running:
                #expect(task?.status == .running, "step \(step): \(id) should run: \(String(describing: task))")
            case .killed:
                if let task {
                    #expect(task.status == .stopped && task.exitStatus == 137, "step \(step): \(id): \(task)")
                }
            case .exits(let status), .removes(let status):
                if let task, task.status == .stopped {
                    #expect(task.exitStatus == status, "step \(step): \(id) exit \(task.exitStatus), not \(status)")
                }
            }
        }
    }
}

/// Tasks.List over gRPC (ctr does not print exit statuses).
enum TaskList {
    static func get(_ daemon: DaemonHarness, namespace: String) async throws -> [String: Containerd_V1_Types_Process] {
        let metadata: Metadata = ["containerd-namespace": "\(namespace)"]
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: daemon.address), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            let tasks = Containerd_Services_Tasks_V1_Tasks.Client(wrapping: client)
            let list = try await tasks.list(Containerd_Services_Tasks_V1_ListTasksRequest(), metadata: metadata)
            return Dictionary(list.tasks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }
}

/// One daemon session's events, from the event after `since` (the last
/// one the previous session saw).
final class SessionEvents: Sendable {
    private let collected = CollectedEvents()
    private let task: Task<Void, Never>
    let since: UInt64

    init(daemon: DaemonHarness, namespace: String, since: UInt64) throws {
        self.since = since
        let metadata: Metadata = ["containerd-namespace": "\(namespace)", "berth-events-since": "\(since)"]
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: daemon.address), transportSecurity: .plaintext)
        let collected = self.collected
        task = Task {
            try? await withGRPCClient(transport: transport) { client in
                let events = Containerd_Services_Events_V1_Events.Client(wrapping: client)
                try await events.subscribe(Containerd_Services_Events_V1_SubscribeRequest(), metadata: metadata) {
                    response in
                    for try await envelope in response.messages { collected.append(envelope) }
                }
            }
        }
    }

    func stop() { task.cancel() }

    /// Waits (at most 5 s) for the stream to end by itself, as it does when
    /// the daemon dies; then stops it.
    func drain() async {
        let task = self.task
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await task.value }
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            await group.next()
            group.cancelAll()
        }
        task.cancel()
    }

    /// Every envelope seen, in arrival order.
    var envelopes: [Containerd_Services_Events_V1_Envelope] { collected.all }

    /// The sequence number of the last event seen (`since` if none).
    var lastSequence: UInt64 { collected.all.compactMap(\.berthSequence).max() ?? since }

    /// The sequence numbers of the events seen, in arrival order.
    var sequences: [UInt64] { collected.all.map { $0.berthSequence ?? 0 } }

    /// The init exits seen (exec exits have another `id`).
    func initExits() -> [Containerd_Events_TaskExit] {
        collected.all.filter { $0.topic == "/tasks/exit" }.compactMap {
            try? Containerd_Events_TaskExit(serializedBytes: $0.event.value)
        }.filter { $0.id == $0.containerID }
    }
}

/// xorshift64*: a small seeded generator, so a failing sequence replays.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// A number in `0..<bound`.
    mutating func next(_ bound: UInt64) -> UInt64 { next() % bound }
}
