import BerthRuntime
import BerthShimProto
import Foundation
import Logging
import SwiftProtobuf
import Synchronization
import Testing

/// BerthRuntime's pure parts: the event gate and the runtime resolver.
struct RuntimeUnitTests {
    /// Records what the gate publishes and acknowledges.
    final class Recorder: Sendable {
        let published = Mutex<[String]>([])
        let acknowledged = Mutex<[UInt64]>([])

        func gate(prior: PriorEvents = PriorEvents()) -> EventGate {
            EventGate(
                logger: Logger(label: "test"), prior: prior,
                publish: { envelope in self.published.withLock { $0.append(envelope.topic) } },
                delivered: { _, sequence in self.acknowledged.withLock { $0.append(sequence) } })
        }
    }

    static func envelope(_ event: some ContainerdEvent, namespace: String = "ns") throws -> EventGate.Envelope {
        try EventGate.Envelope.make(
            event: event, namespace: namespace, timestamp: Google_Protobuf_Timestamp(seconds: 1, nanos: 0))
    }

    static func exit(_ id: String, exec: String? = nil, status: UInt32 = 0) -> Containerd_Events_TaskExit {
        var exit = Containerd_Events_TaskExit()
        exit.containerID = id
        exit.id = exec ?? id
        exit.exitStatus = status
        return exit
    }

    @Test func aSequenceGoesOutOnceAndInOrder() throws {
        let recorder = Recorder()
        let gate = recorder.gate()
        var start = Containerd_Events_TaskStart()
        start.containerID = "c"
        #expect(gate.forward(try Self.envelope(start), taskID: "c", sequence: 1))
        #expect(!gate.forward(try Self.envelope(start), taskID: "c", sequence: 1), "a retry of 1")
        #expect(gate.forward(try Self.envelope(Self.exit("c", status: 7)), taskID: "c", sequence: 2))
        #expect(!gate.forward(try Self.envelope(start), taskID: "c", sequence: 1), "a replay of 1 after 2")
        #expect(recorder.published.withLock { $0 } == ["/tasks/start", "/tasks/exit"])
        #expect(recorder.acknowledged.withLock { $0 } == [1, 2])
        #expect(gate.exitPublished(TaskKey(namespace: "ns", id: "c")))
        #expect(!gate.exitPublished(TaskKey(namespace: "other", id: "c")), "namespaces are apart")
    }

    @Test func anExecExitIsNotTheInitExit() throws {
        let gate = Recorder().gate()
        gate.forward(try Self.envelope(Self.exit("c", exec: "e1")), taskID: "c", sequence: 1)
        #expect(!gate.exitPublished(TaskKey(namespace: "ns", id: "c")))
        gate.forward(try Self.envelope(Self.exit("c")), taskID: nil, sequence: nil)
        #expect(gate.exitPublished(TaskKey(namespace: "ns", id: "c")), "other shims' exits count too")
    }

    /// A restarted daemon: its log says which task events went out before
    /// the previous daemon died. Their replay is acknowledged, not published.
    @Test func aReplayOfWhatAnEarlierDaemonPublishedIsAcknowledgedOnly() throws {
        var start = Containerd_Events_TaskStart()
        start.containerID = "c"
        start.pid = 41
        var exit = Self.exit("c", status: 3)
        exit.pid = 41
        exit.exitedAt = Google_Protobuf_Timestamp(seconds: 5, nanos: 6)
        let startEnvelope = try Self.envelope(start)
        let exitEnvelope = try Self.envelope(exit)
        // The earlier daemon published the start only.
        let prior = PriorEvents(serialized: [try startEnvelope.serializedBytes()])
        #expect(prior.count == 1)
        let recorder = Recorder()
        let gate = recorder.gate(prior: prior)
        #expect(!gate.forward(startEnvelope, taskID: "c", sequence: 1), "published before")
        #expect(gate.forward(exitEnvelope, taskID: "c", sequence: 2))
        #expect(recorder.published.withLock { $0 } == ["/tasks/exit"])
        #expect(recorder.acknowledged.withLock { $0 } == [1, 2], "both leave the shim's journal")

        // An event stamped after the daemon started is never a prior one.
        let late = PriorEvents(
            serialized: [try startEnvelope.serializedBytes()], now: Google_Protobuf_Timestamp(seconds: 1))
        let fresh = Recorder()
        #expect(fresh.gate(prior: late).forward(startEnvelope, taskID: "c", sequence: 1))
    }

    /// An exit an earlier daemon published is known by its identity, so a
    /// dead shim's exit is not published a second time by the daemon.
    @Test func anExitPublishedBeforeIsKnownByItsIdentity() throws {
        var exit = Self.exit("c", status: 3)
        exit.pid = 41
        exit.exitedAt = Google_Protobuf_Timestamp(seconds: 5, nanos: 6)
        var exec = Self.exit("c", exec: "e", status: 1)
        exec.pid = 42
        let prior = PriorEvents(serialized: [
            try Self.envelope(exit).serializedBytes(), try Self.envelope(exec).serializedBytes(),
        ])
        let gate = Recorder().gate(prior: prior)
        let key = TaskKey(namespace: "ns", id: "c")
        #expect(gate.exitPublished(key, pid: 41, exitedAt: Google_Protobuf_Timestamp(seconds: 5, nanos: 6)))
        #expect(
            !gate.exitPublished(key, pid: 41, exitedAt: Google_Protobuf_Timestamp(seconds: 5, nanos: 7)), "another exit"
        )
        #expect(
            !gate.exitPublished(key, pid: 42, exitedAt: Google_Protobuf_Timestamp()), "an exec's exit is not the init's"
        )
        #expect(!gate.exitPublished(TaskKey(namespace: "other", id: "c"), pid: 41, exitedAt: exit.exitedAt))
        #expect(!gate.exitPublished(key), "this daemon published nothing")
    }

    @Test func resetStartsANewTaskAtOne() throws {
        let recorder = Recorder()
        let gate = recorder.gate()
        let key = TaskKey(namespace: "ns", id: "c")
        gate.forward(try Self.envelope(Self.exit("c")), taskID: "c", sequence: 5)
        gate.reset(key)
        #expect(!gate.exitPublished(key))
        var fresh = try Self.envelope(Self.exit("c"))
        fresh.timestamp = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(1))
        #expect(gate.forward(fresh, taskID: "c", sequence: 1))
    }

    @Test func ownEventsAreStampedAndCountAsExits() {
        let recorder = Recorder()
        let gate = recorder.gate()
        gate.publishOwn(namespace: "ns", event: Self.exit("dead", status: 137))
        #expect(gate.exitPublished(TaskKey(namespace: "ns", id: "dead")))
        #expect(recorder.published.withLock { $0 } == ["/tasks/exit"])
    }

    @Test func runtimeNamesResolveAsContainerdAndBerthDo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("resolver-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let berth = directory + "/berth-shim"
        let other = directory + "/containerd-shim-other-v1"
        for file in [berth, other] {
            #expect(
                FileManager.default.createFile(atPath: file, contents: Data(), attributes: [.posixPermissions: 0o755]))
        }
        let resolver = ShimResolver(
            berthShim: berth,
            entries: ["crun": .init(runtimeType: "io.containerd.berth.v2", executor: "crun")],
            searchPath: [directory])
        #expect(try resolver.resolve("io.containerd.runc.v2") == .init(binary: berth, executor: "", isBerthShim: true))
        #expect(try resolver.resolve("crun") == .init(binary: berth, executor: "crun", isBerthShim: true))
        #expect(try resolver.resolve("io.containerd.other.v1").binary == other)
        #expect(try resolver.resolve(other).isBerthShim == false)
        #expect(throws: RuntimeError.self) { try resolver.resolve("io.containerd.missing.v9") }
        #expect(throws: RuntimeError.self) { try resolver.resolve("") }
        #expect(throws: RuntimeError.self) { try resolver.resolve(directory + "/nope") }
    }
}

extension RuntimeUnitTests {
    /// A late event of the previous task with the same id (stamped before the
    /// new task was created) goes out, but neither moves nor acknowledges the
    /// new task's numbering.
    @Test func aLateEventOfThePreviousTaskDoesNotDisturbTheNewOne() throws {
        let recorder = Recorder()
        let gate = recorder.gate()
        let key = TaskKey(namespace: "ns", id: "c")
        var old = try Self.envelope(Self.exit("c"))
        old.timestamp = Google_Protobuf_Timestamp(seconds: 1, nanos: 0)
        gate.forward(old, taskID: "c", sequence: 3)
        gate.reset(key)
        var lateDelete = Containerd_Events_TaskDelete()
        lateDelete.containerID = "c"
        let late = try EventGate.Envelope.make(
            event: lateDelete, namespace: "ns", timestamp: Google_Protobuf_Timestamp(seconds: 2, nanos: 0))
        #expect(gate.forward(late, taskID: "c", sequence: 4), "the previous task's delete still goes out")
        #expect(!gate.forward(late, taskID: "c", sequence: 4), "once")
        var start = Containerd_Events_TaskStart()
        start.containerID = "c"
        let fresh = try EventGate.Envelope.make(
            event: start, namespace: "ns", timestamp: Google_Protobuf_Timestamp(date: Date().addingTimeInterval(1)))
        #expect(gate.forward(fresh, taskID: "c", sequence: 1), "the new task starts at 1")
        #expect(recorder.acknowledged.withLock { $0 } == [3, 1], "the late event is not acknowledged")
        #expect(!gate.exitPublished(key))
    }
}
