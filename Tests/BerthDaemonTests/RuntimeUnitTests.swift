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

        func gate() -> EventGate {
            EventGate(
                logger: Logger(label: "test"),
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
