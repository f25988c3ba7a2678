import BerthErrors
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Foundation
import SwiftProtobuf
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The shim binary driven directly over ttrpc, with the test as the daemon:
/// exit ordering, the journal and event delivery, with the default
/// executor (no runtime options). Issue 5's edge cases (exits before and
/// right after start, stdin, a killed shim, …) run on every executor in
/// `ShimEdgeCaseTests`.
@Suite(
    .enabled(if: ShimTestEnvironment.unavailableReason == nil, "needs root, runc, a built shim"), .serialized,
    .timeLimit(.minutes(2)))
struct ShimDirectTests {
    @Test func execExitsArePublishedBeforeTheInitExit() throws {
        let shim = try ShimBundle(arguments: ["sleep", "1000"])
        defer { shim.cleanup() }
        let daemon = FakeEventsDaemon(path: shim.eventsAddress)
        try daemon.start()
        defer { daemon.stop() }
        try shim.start()
        let client = try shim.client()
        defer { client.close() }
        _ = try shim.create(client)
        _ = try shim.startTask(client)
        for index in 1...3 {
            try shim.exec(client, exec: "e\(index)", arguments: ["sleep", "1000"])
            _ = try shim.startTask(client, exec: "e\(index)")
        }
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter)
        try shim.kill(client, signal: 9)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait)
        #expect(exit.exitStatus == 137)
        #expect(daemon.wait { $0.filter { $0.topic == "/tasks/exit" }.count >= 4 })
        let exits = daemon.events.filter { $0.topic == "/tasks/exit" }
        let initExit = try Containerd_Events_TaskExit(serializedBytes: try #require(exits.last).event)
        #expect(initExit.id == shim.id)
        #expect(initExit.exitStatus == 137)
        for event in exits.dropLast() {
            #expect(try Containerd_Events_TaskExit(serializedBytes: event.event).id.hasPrefix("e"))
        }
        // Every exec start precedes its exit; sequences are gap-free.
        #expect(daemon.events.map(\.sequence) == (1...daemon.events.count).map(String.init))
        for index in 1...3 {
            let state = try shim.state(client, exec: "e\(index)")
            #expect(state.status == .stopped)
            _ = try shim.delete(client, exec: "e\(index)")
        }
    }

    @Test func eventsReachADaemonThatComesLateInOrder() throws {
        let shim = try ShimBundle(arguments: ["true"])
        defer { shim.cleanup() }
        try shim.start()
        let client = try shim.client()
        defer { client.close() }
        let waiter = try shim.client()
        defer { waiter.close() }
        _ = try shim.create(client)
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        let _: Containerd_Task_V2_WaitResponse = try waiter.receive(wait)
        Thread.sleep(forTimeInterval: 1.5)
        let daemon = FakeEventsDaemon(path: shim.eventsAddress)
        try daemon.start()
        defer { daemon.stop() }
        #expect(daemon.wait(timeout: 30) { $0.count >= 3 })
        #expect(daemon.topics == ["/tasks/create", "/tasks/start", "/tasks/exit"])
        #expect(daemon.events.map(\.sequence) == ["1", "2", "3"])
    }

    @Test func theJournalReplaysUntilAcknowledged() throws {
        let shim = try ShimBundle(arguments: ["true"])
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        let waiter = try shim.client()
        defer { waiter.close() }
        _ = try shim.create(client)
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        let _: Containerd_Task_V2_WaitResponse = try waiter.receive(wait)

        var replay = Berth_Shim_V1_ReplayRequest()
        replay.id = shim.id
        var page: Berth_Shim_V1_ReplayResponse = try client.call(JournalService.name, "Replay", replay)
        #expect(page.events.map(\.sequence) == [1, 2, 3])
        #expect(page.events.map(\.envelope.topic) == ["/tasks/create", "/tasks/start", "/tasks/exit"])
        #expect(page.lastSequence == 3)
        #expect(page.firstRetained == 1)

        replay.afterSequence = 1
        replay.maxEvents = 1
        page = try client.call(JournalService.name, "Replay", replay)
        #expect(page.events.map(\.sequence) == [2])

        var ack = Berth_Shim_V1_AckRequest()
        ack.id = shim.id
        ack.sequence = 2
        let _: Google_Protobuf_Empty = try client.call(JournalService.name, "Ack", ack)
        replay.afterSequence = 0
        replay.maxEvents = 0
        page = try client.call(JournalService.name, "Replay", replay)
        #expect(page.events.map(\.sequence) == [3])
        #expect(page.firstRetained == 3)

        replay.id = "someone-else"
        #expect(throws: TTRPCError.self) {
            let _: Berth_Shim_V1_ReplayResponse = try client.call(JournalService.name, "Replay", replay)
        }
    }

    @Test func aStoppedTaskIsServedUntilDeletedThenTheShimShutsDown() throws {
        let shim = try ShimBundle(arguments: ["sh", "-c", "echo out; echo err >&2; exit 3"])
        defer { shim.cleanup() }
        let address = try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        let waiter = try shim.client()
        defer { waiter.close() }
        _ = try shim.create(client, stdout: shim.directory + "/out.txt", stderr: shim.directory + "/err.txt")
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        let _: Containerd_Task_V2_WaitResponse = try waiter.receive(wait)
        #expect(try String(contentsOfFile: shim.directory + "/out.txt", encoding: .utf8) == "out\n")
        #expect(try String(contentsOfFile: shim.directory + "/err.txt", encoding: .utf8) == "err\n")
        for _ in 0..<2 {
            let state = try shim.state(client)
            #expect(state.status == .stopped)
            #expect(state.exitStatus == 3)
            let again: Containerd_Task_V2_WaitResponse = try waiter.receive(try shim.sendWait(waiter))
            #expect(again.exitStatus == 3)
        }
        // Shutdown with a task: nothing happens.
        var shutdown = Containerd_Task_V2_ShutdownRequest()
        shutdown.id = shim.id
        let _: Google_Protobuf_Empty = try client.call(TaskService.name, "Shutdown", shutdown)
        let pid = try shim.shimPID(client)
        #expect(isAlive(pid))
        let deleted = try shim.delete(client)
        #expect(deleted.exitStatus == 3)
        #expect(throws: TTRPCError.self) { _ = try shim.state(client) }
        let _: Google_Protobuf_Empty = try client.call(TaskService.name, "Shutdown", shutdown)
        let deadline = Date().addingTimeInterval(10)
        while isAlive(pid), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!isAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: String(address.dropFirst("unix://".count))))
    }

    @Test func anOOMKillIsPublished() throws {
        let shim = try ShimBundle(
            arguments: ["sh", "-c", "a=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#a}"],
            memoryLimit: 32 << 20)
        defer { shim.cleanup() }
        let daemon = FakeEventsDaemon(path: shim.eventsAddress)
        try daemon.start()
        defer { daemon.stop() }
        try shim.start()
        let client = try shim.client()
        defer { client.close() }
        _ = try shim.create(client)
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 137)
        #expect(daemon.wait { $0.contains { $0.topic == "/tasks/oom" } })
        let oom = try #require(daemon.events.first { $0.topic == "/tasks/oom" })
        #expect(try Containerd_Events_TaskOOM(serializedBytes: oom.event).containerID == shim.id)
    }

    @Test func updatePidsAndStatsReachTheContainersCgroup() throws {
        let shim = try ShimBundle(arguments: ["sh", "-c", "sleep 1000 & wait"])
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        let pid = try shim.create(client)
        _ = try shim.startTask(client)
        try shim.exec(client, exec: "e1", arguments: ["sleep", "1000"])
        let execPID = try shim.startTask(client, exec: "e1")

        var pids = Containerd_Task_V2_PidsRequest()
        pids.id = shim.id
        let listed: Containerd_Task_V2_PidsResponse = try client.call(TaskService.name, "Pids", pids)
        #expect(listed.processes.count == 3)
        #expect(listed.processes.contains { $0.pid == pid && !$0.hasInfo })
        let exec = try #require(listed.processes.first { $0.pid == execPID })
        #expect(try Containerd_Runc_V1_ProcessDetails(serializedBytes: exec.info.value).execID == "e1")
        #expect(exec.info.typeURL == "containerd.runc.v1.ProcessDetails")

        var update = Containerd_Task_V2_UpdateTaskRequest()
        update.id = shim.id
        update.resources.typeURL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"
        update.resources.value = Data(#"{"pids":{"limit":42}}"#.utf8)
        let _: Google_Protobuf_Empty = try client.call(TaskService.name, "Update", update)

        var stats = Containerd_Task_V2_StatsRequest()
        stats.id = shim.id
        let answer: Containerd_Task_V2_StatsResponse = try client.call(TaskService.name, "Stats", stats)
        if (try? FileSystemType.of("/sys/fs/cgroup")) == .cgroup2 {
            #expect(answer.stats.typeURL == "io.containerd.cgroups.v2.Metrics")
            let metrics = try Io_Containerd_Cgroups_V2_Metrics(serializedBytes: answer.stats.value)
            #expect(metrics.pids.limit == 42)
            #expect(metrics.pids.current == 3)
        } else {
            #expect(answer.stats.typeURL == "io.containerd.cgroups.v1.Metrics")
            let metrics = try Io_Containerd_Cgroups_V1_Metrics(serializedBytes: answer.stats.value)
            #expect(metrics.pids.limit == 42)
            #expect(metrics.pids.current == 3)
            #expect(metrics.memory.usage.usage > 0)
            #expect(metrics.cpu.usage.total > 0)
        }
        try shim.kill(client, signal: 9, all: true)
    }
}
