import BerthAPI
import BerthShimProto
import BerthSystem
import BerthTestSupport
import Foundation
import SwiftProtobuf
import Testing

/// Exactly-once events across a daemon crash: berthd numbers events in a
/// log that outlives it, a subscriber resumes from its last number, and a
/// shim's replay of an event that went out just before the crash (not yet
/// acknowledged to the shim) is not published again.
@Suite(.serialized, .enabled(if: DaemonHarness.unavailableReason == nil, "berthd tests need root, ctr and a build"))
struct DaemonEventResumeTests {
    /// The journal record a shim keeps until berthd acknowledges the event.
    static func journalRecord(_ envelope: Containerd_Services_Events_V1_Envelope, sequence: UInt64) throws -> [UInt8] {
        var event = Berth_Shim_V1_JournalEvent()
        event.sequence = sequence
        event.envelope = try Containerd_Services_Events_Ttrpc_V1_Envelope(
            serializedBytes: envelope.withoutBerthSequence.serializedBytes() as [UInt8])
        return FramedRecords.frame(try event.serializedBytes() as [UInt8])
    }

    static func waitFor(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(50)) }
        #expect(condition(), "timed out waiting for \(what)")
    }

    @Test func anExitPublishedJustBeforeACrashIsNotPublishedAgain() async throws {
        let ns = "resume"
        let daemon = try DaemonTaskTests.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let image = DaemonTaskTests.image
        // "live" keeps its shim across the crash, "dead" loses it; both exit
        // by themselves once /tmp/go exists. "later" runs on.
        for (id, status) in [("live", 7), ("dead", 9)] {
            let run = try daemon.ctr(
                ["run", "-d", image, id, "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit \(status)"],
                namespace: ns)
            try #require(run.status == 0, "\(run.stderr)")
        }
        try #require(try daemon.ctr(["run", "-d", image, "later", "sleep", "1000"], namespace: ns).status == 0)
        let deadShim = try DaemonRestartTests.shimPID(daemon, ns: ns, id: "dead")
        let first = try SessionEvents(daemon: daemon, namespace: ns, since: 0)
        for id in ["live", "dead"] {
            let pid = try DaemonRestartTests.taskPID(daemon, ns: ns, id: id)
            #expect(DaemonRestartTests.enter(pid: pid, run: "touch /tmp/go"))
        }
        try await Self.waitFor("two exits") { first.initExits().count == 2 }
        let published = first.envelopes.filter { $0.topic == "/tasks/exit" }
        try #require(published.count == 2)

        // berthd dies; each exit is put back in its shim's journal as if
        // berthd had died before acknowledging it.
        #expect(daemon.stop(signal: SIGKILL) != nil)
        await first.drain()
        kill(deadShim, SIGKILL)
        for envelope in published {
            let exit = try Containerd_Events_TaskExit(serializedBytes: envelope.event.value)
            let journal = daemon.state + "/io.containerd.runtime.v2.task/\(ns)/\(exit.containerID)/events.journal"
            let handle = try #require(
                FileHandle(forWritingAtPath: journal)
                    ?? {
                        FileManager.default.createFile(atPath: journal, contents: nil)
                        return FileHandle(forWritingAtPath: journal)
                    }())
            handle.seekToEndOfFile()
            handle.write(Data(try Self.journalRecord(envelope, sequence: 1)))
            handle.closeFile()
        }

        try daemon.start()
        let cursor = first.lastSequence
        let second = try SessionEvents(daemon: daemon, namespace: ns, since: cursor)
        #expect(try daemon.ctr(["tasks", "kill", "-s", "9", "later"], namespace: ns).status == 0)
        try await Self.waitFor("the exit of later") { second.initExits().contains { $0.containerID == "later" } }
        try await Task.sleep(for: .milliseconds(500))
        second.stop()

        // The replays were acknowledged, not published: the only exit after
        // the cursor is the new one, numbered on from the first daemon's.
        #expect(second.initExits().map(\.containerID) == ["later"], "\(second.initExits())")
        #expect(second.sequences.first == cursor + 1, "numbering continues: \(second.sequences)")
        #expect(daemon.log().contains("event published by an earlier daemon"))
        let tasks = try await TaskList.get(daemon, namespace: ns)
        #expect(tasks["live"]?.exitStatus == 7)
        #expect(tasks["dead"]?.exitStatus == 9, "the stored exit, not an invented one")

        for id in ["live", "dead", "later"] {
            #expect(try await daemon.removeStoppedTask(id, namespace: ns), "tasks rm \(id)")
        }
    }

    /// A daemon that finds a dead shim records the task's exit, then
    /// publishes it. Killed between the two, the next daemon publishes it;
    /// killed after both, the next daemon finds it in the log and does not.
    @Test func anExitTheDaemonOwesIsPublishedOnce() async throws {
        let ns = "owed"
        let daemon = try DaemonTaskTests.daemon(namespace: ns)
        defer { daemon.cleanup() }
        try #require(
            try daemon.ctr(["run", "-d", DaemonTaskTests.image, "gone", "sleep", "1000"], namespace: ns).status == 0)
        let shim = try DaemonRestartTests.shimPID(daemon, ns: ns, id: "gone")
        let first = try SessionEvents(daemon: daemon, namespace: ns, since: 0)
        // The shim dies: berthd publishes the exit itself (137, unknown).
        kill(shim, SIGKILL)
        try await Self.waitFor("the daemon's exit") { first.initExits().count == 1 }
        #expect(first.initExits().first?.exitStatus == 137)
        let record = daemon.state + "/io.containerd.runtime.v2.task/\(ns)/gone/dead.json"
        try await Self.waitFor("the record to be settled") {
            (try? String(contentsOfFile: record, encoding: .utf8))?.contains("\"exit_owed\":false") == true
        }

        // Killed after publishing, with the record still saying it owes the
        // exit: the log says it went out.
        #expect(daemon.stop(signal: SIGKILL) != nil)
        await first.drain()
        let settled = try String(contentsOfFile: record, encoding: .utf8)
        try settled.replacingOccurrences(of: "\"exit_owed\":false", with: "\"exit_owed\":true")
            .write(toFile: record, atomically: true, encoding: .utf8)
        try daemon.start()
        let second = try SessionEvents(daemon: daemon, namespace: ns, since: first.lastSequence)
        try await Task.sleep(for: .seconds(1))
        second.stop()
        #expect(second.initExits().isEmpty, "published again: \(second.initExits())")

        // Killed before publishing (and the log lost with a reboot): the
        // next daemon publishes it, the same exit.
        #expect(daemon.stop(signal: SIGKILL) != nil)
        await second.drain()
        try settled.replacingOccurrences(of: "\"exit_owed\":false", with: "\"exit_owed\":true")
            .write(toFile: record, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: daemon.state + "/events.log")
        try daemon.start()
        let third = try SessionEvents(daemon: daemon, namespace: ns, since: 0)
        try await Self.waitFor("the owed exit") { third.initExits().count == 1 }
        try await Task.sleep(for: .milliseconds(500))
        third.stop()
        #expect(third.initExits().map(\.exitStatus) == [137])
        #expect(third.initExits().first?.exitedAt == first.initExits().first?.exitedAt, "the same exit")
        #expect(try String(contentsOfFile: record, encoding: .utf8).contains("\"exit_owed\":false"))

        #expect(try daemon.ctr(["tasks", "rm", "gone"], namespace: ns).status == 0)
        #expect(try daemon.ctr(["containers", "rm", "gone"], namespace: ns).status == 0)
    }
}
