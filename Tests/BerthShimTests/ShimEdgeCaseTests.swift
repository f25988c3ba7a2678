import BerthErrors
import BerthShimProto
import BerthSystem
import BerthTTRPC
import BerthTestSupport
import Foundation
import SwiftProtobuf
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 5's edge cases with the shim binary driven directly (the test
/// plays the daemon), once per executor: the executor is chosen by the
/// runtime options in `Create`, as containerd sends them.
/// `ContainerdMatrixTests` runs the same cases under a real containerd.
@Suite(
    .enabled(if: ShimTestEnvironment.unavailableReason == nil, "needs root, runc, a built shim"), .serialized,
    .timeLimit(.minutes(3)))
struct ShimEdgeCaseTests {
    /// SIGKILL of a created container, plain and with `all` (ctr's
    /// `tasks kill --all`), before it was ever started.
    @Test(arguments: ShimExecutor.allCases, [false, true])
    func anExitBeforeStartIsReportedWithoutAStartEvent(executor: ShimExecutor, all: Bool) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["sleep", "1000"], executor: executor)
        defer { shim.cleanup() }
        let daemon = FakeEventsDaemon(path: shim.eventsAddress)
        try daemon.start()
        defer { daemon.stop() }
        try shim.start()
        let client = try shim.client()
        defer { client.close() }
        let pid = try shim.create(client)
        #expect(pid > 0)
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter)
        #expect(try shim.state(client).status == .created)
        // runsc cannot signal a created container; the shim's quirk adapter
        // turns this SIGKILL into `runsc delete --force`.
        try shim.kill(client, signal: 9, all: all)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 137)
        let state = try shim.state(client)
        #expect(state.status == .stopped)
        #expect(state.exitStatus == 137)
        #expect(daemon.wait { $0.count >= 2 })
        #expect(daemon.topics == ["/tasks/create", "/tasks/exit"])
        // Starting it now is refused with containerd's message.
        #expect(throws: TTRPCError.self) { _ = try shim.startTask(client) }
        _ = try shim.delete(client)
        #expect(daemon.wait { $0.count >= 3 })
        #expect(daemon.topics.last == "/tasks/delete")
    }

    @Test(arguments: ShimExecutor.allCases)
    func anInstantExitIsAnnouncedAfterItsStart(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["true"], executor: executor)
        defer { shim.cleanup() }
        let daemon = FakeEventsDaemon(path: shim.eventsAddress)
        try daemon.start()
        defer { daemon.stop() }
        try shim.start()
        let client = try shim.client()
        defer { client.close() }
        let waiter = try shim.client()
        defer { waiter.close() }
        _ = try shim.create(client)
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 0)
        #expect(daemon.wait { $0.count >= 3 })
        let events = daemon.events
        #expect(events.map(\.topic) == ["/tasks/create", "/tasks/start", "/tasks/exit"])
        #expect(events.map(\.sequence) == ["1", "2", "3"])
        #expect(events.allSatisfy { $0.namespace == ShimBundle.namespace && $0.taskID == shim.id })
        #expect(shim.log.contains("executor=\"\(executor.rawValue)\""))
    }

    /// Execs sent in waves without waiting for answers, so the shim has a
    /// queue of Exec, Wait and Start requests on several connections.
    @Test(arguments: ShimExecutor.allCases)
    func anExecStormCompletes(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["sleep", "100000"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        _ = try shim.create(client)
        _ = try shim.startTask(client)
        let connections = try (0..<4).map { _ in try shim.client() }
        defer { connections.forEach { $0.close() } }
        let count = executor.stormSize
        let wave = 25
        var statuses: [Int: UInt32] = [:]
        for first in stride(from: 0, to: count, by: wave) {
            var pending: [(index: Int, exec: UInt32, wait: UInt32, start: UInt32)] = []
            for index in first..<min(first + wave, count) {
                let connection = connections[index % connections.count]
                let id = "x\(index)"
                let exec = try shim.sendExec(
                    connection, exec: id, arguments: ["sh", "-c", "echo n\(index); exit \(index % 4)"],
                    stdout: shim.directory + "/\(id).out")
                let wait = try shim.sendWait(connection, exec: id)
                let start = try shim.sendStart(connection, exec: id)
                pending.append((index, exec, wait, start))
            }
            for request in pending {
                let connection = connections[request.index % connections.count]
                try connection.receiveEmpty(request.exec, timeout: 120)
                let _: Containerd_Task_V2_StartResponse = try connection.receive(request.start, timeout: 120)
                let exit: Containerd_Task_V2_WaitResponse = try connection.receive(request.wait, timeout: 120)
                statuses[request.index] = exit.exitStatus
            }
        }
        for index in 0..<count {
            #expect(statuses[index] == UInt32(index % 4), "exec x\(index)")
            let output = try? String(contentsOfFile: shim.directory + "/x\(index).out", encoding: .utf8)
            #expect(output == "n\(index)\n", "exec x\(index)")
            _ = try shim.delete(client, exec: "x\(index)")
        }
        // Only the init is left in the container.
        var pids = Containerd_Task_V2_PidsRequest()
        pids.id = shim.id
        let listed: Containerd_Task_V2_PidsResponse = try client.call(TaskService.name, "Pids", pids)
        #expect(listed.processes.count == 1)
    }

    @Test(arguments: ShimExecutor.allCases)
    func killAllTakesDownEveryProcess(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(
            arguments: ["sh", "-c", "sleep 1000 & sleep 1000 & trap '' TERM; wait"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        _ = try shim.create(client)
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        var pids = Containerd_Task_V2_PidsRequest()
        pids.id = shim.id
        var listed: [UInt32] = []
        let deadline = Date().addingTimeInterval(20)
        while listed.count < 3, Date() < deadline {
            let answer: Containerd_Task_V2_PidsResponse = try client.call(TaskService.name, "Pids", pids)
            listed = answer.processes.map(\.pid)
            if listed.count < 3 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(listed.count == 3)
        // The init ignores SIGTERM: a plain kill leaves it running.
        try shim.kill(client, signal: UInt32(SIGTERM))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try shim.state(client).status == .running)
        try shim.kill(client, signal: 9, all: true)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 137)
        if executor.reportsHostPIDs {
            for pid in listed {
                let gone = Date().addingTimeInterval(5)
                while isAlive(Int32(bitPattern: pid)), Date() < gone { Thread.sleep(forTimeInterval: 0.02) }
                #expect(!isAlive(Int32(bitPattern: pid)), "pid \(pid)")
            }
        }
        // A second kill of the stopped init: containerd's message.
        #expect {
            try shim.kill(client, signal: 9)
        } throws: { error in
            (error as? TTRPCError)?.message == "process already finished"
        }
    }

    /// Killing an exec ends the process inside the container, not only the
    /// process whose pid the executor wrote.
    @Test(arguments: ShimExecutor.allCases, [UInt32(SIGKILL), UInt32(SIGTERM)])
    func killingAnExecEndsItInTheContainer(executor: ShimExecutor, signal: UInt32) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["sleep", "100000"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        _ = try shim.create(client)
        _ = try shim.startTask(client)
        try shim.exec(client, exec: "e1", arguments: ["sleep", "100000"])
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter, exec: "e1")
        _ = try shim.startTask(client, exec: "e1")
        var pids = Containerd_Task_V2_PidsRequest()
        pids.id = shim.id
        let before: Containerd_Task_V2_PidsResponse = try client.call(TaskService.name, "Pids", pids)
        #expect(before.processes.count == 2)
        // The exec is recognised in the executor's list (for runsc, by its pid in the sandbox).
        let listed = try #require(before.processes.first { $0.hasInfo })
        #expect(try Containerd_Runc_V1_ProcessDetails(serializedBytes: listed.info.value).execID == "e1")
        try shim.kill(client, signal: signal, exec: "e1")
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 128 + signal)
        var after: [UInt32] = []
        let deadline = Date().addingTimeInterval(5)
        repeat {
            let answer: Containerd_Task_V2_PidsResponse = try client.call(TaskService.name, "Pids", pids)
            after = answer.processes.map(\.pid)
            if after.count > 1 { Thread.sleep(forTimeInterval: 0.1) }
        } while after.count > 1 && Date() < deadline
        #expect(after.count == 1, "left in the container: \(after)")
        try shim.kill(client, signal: 9)
    }

    @Test(arguments: ShimExecutor.allCases)
    func aTerminalIsAllocatedAndResized(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(
            arguments: [
                "sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo isatty; readlink /proc/self/fd/0; stty size; echo done",
            ],
            terminal: true, executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        let output = shim.directory + "/tty.out"
        _ = try shim.create(client, stdout: output, terminal: true)
        var resize = Containerd_Task_V2_ResizePtyRequest()
        resize.id = shim.id
        resize.width = 100
        resize.height = 30
        let _: Google_Protobuf_Empty = try client.call(TaskService.name, "ResizePty", resize)
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 0)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(text.hasPrefix("isatty\r\n"), "\(text)")
        if executor.namesTerminalsInDevPts {
            #expect(text.contains("/dev/pts/"), "\(text)")
        }
        // The size set before start is the terminal's.
        #expect(text.contains("30 100"), "\(text)")
        // The terminal turns "\n" into "\r\n".
        #expect(text.hasSuffix("done\r\n"), "\(text)")
    }

    @Test(arguments: ShimExecutor.allCases)
    func anExecGetsATerminalOfItsOwn(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["sleep", "100000"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        _ = try shim.create(client)
        _ = try shim.startTask(client)
        let output = shim.directory + "/exec-tty.out"
        try shim.exec(
            client, exec: "t1", arguments: ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo isatty; echo done"],
            stdout: output, terminal: true)
        let wait = try shim.sendWait(client, exec: "t1")
        _ = try shim.startTask(client, exec: "t1")
        let exit: Containerd_Task_V2_WaitResponse = try client.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 0)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(text == "isatty\r\ndone\r\n", "\(text)")
        // Resizing an exec's terminal after it exited is a no-op, not an error.
        var resize = Containerd_Task_V2_ResizePtyRequest()
        resize.id = shim.id
        resize.execID = "t1"
        resize.width = 80
        resize.height = 24
        let _: Google_Protobuf_Empty = try client.call(TaskService.name, "ResizePty", resize)
        try shim.kill(client, signal: 9)
    }

    @Test(arguments: ShimExecutor.allCases)
    func closingStdinDeliversBufferedInputThenEndsIt(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["sh", "-c", "cat; echo eof"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        let stdin = shim.directory + "/stdin"
        #expect(mkfifo(stdin, 0o600) == 0)
        // The client's end stays open, as ctr's does: only CloseIO ends the input.
        let writer = open(stdin, O_RDWR | O_CLOEXEC)
        defer { close(writer) }
        _ = try shim.create(client, stdin: stdin, stdout: shim.directory + "/out.txt")
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        #expect(write(writer, "data\n", 5) == 5)
        var close = Containerd_Task_V2_CloseIORequest()
        close.id = shim.id
        close.stdin = true
        let _: Google_Protobuf_Empty = try client.call(TaskService.name, "CloseIO", close)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 0)
        #expect(try String(contentsOfFile: shim.directory + "/out.txt", encoding: .utf8) == "data\neof\n")
    }

    /// 12 MB through a stdout FIFO read by another process, stderr through
    /// a second FIFO: every byte arrives, and both streams end.
    @Test(arguments: ShimExecutor.allCases)
    func moreThanTenMegabytesArriveUntruncated(executor: ShimExecutor) throws {
        try executor.require()
        let size = 12_000_000
        let shim = try ShimBundle(
            arguments: ["sh", "-c", "head -c \(size) /dev/zero | tr '\\0' 'a'; echo -n END >&2"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        let fifos = (out: shim.directory + "/stdout", err: shim.directory + "/stderr")
        #expect(mkfifo(fifos.out, 0o600) == 0)
        #expect(mkfifo(fifos.err, 0o600) == 0)
        let readers = try [fifos.out, fifos.err].map { fifo in
            try TestProcess("/bin/cat", [fifo], stdout: fifo + ".copy", stderr: shim.directory + "/cat.err")
        }
        defer { readers.forEach { $0.terminate() } }
        _ = try shim.create(client, stdout: fifos.out, stderr: fifos.err)
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 120)
        #expect(exit.exitStatus == 0)
        // The shim closes its FIFO ends once the output is drained: the readers see end of file.
        for reader in readers { #expect(reader.wait(timeout: .seconds(30)) == 0) }
        let copied = try Data(contentsOf: URL(fileURLWithPath: fifos.out + ".copy"))
        #expect(copied.count == size)
        #expect(copied.allSatisfy { $0 == UInt8(ascii: "a") })
        #expect(try String(contentsOfFile: fifos.err + ".copy", encoding: .utf8) == "END")
    }

    @Test(arguments: ShimExecutor.allCases)
    func aRecordedExitOutlivesASIGKILLedShim(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["sh", "-c", "exit 7"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        let pid = try shim.create(client)
        let waiter = try shim.client()
        defer { waiter.close() }
        let wait = try shim.sendWait(waiter)
        _ = try shim.startTask(client)
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(wait, timeout: 60)
        #expect(exit.exitStatus == 7)
        let record = try Containerd_Task_V2_DeleteResponse(
            jsonString: try String(contentsOfFile: shim.bundle + "/exit.json", encoding: .utf8))
        #expect(record.exitStatus == 7)
        #expect(record.pid == pid)
        #expect(record.exitedAt == exit.exitedAt)

        // The daemon finds the shim dead and runs `delete`: the recorded status wins over 137.
        kill(try shim.shimPID(client), SIGKILL)
        let deleted = try shim.deleteAction(bundleFlag: true)
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let response = try Containerd_Task_V2_DeleteResponse(serializedBytes: deleted.stdoutData)
        #expect(response.exitStatus == 7)
        #expect(response.pid == pid)
    }

    @Test(arguments: ShimExecutor.allCases)
    func aSIGKILLedShimsContainerIsDeletedWith137(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["sleep", "1000"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        let pid = try shim.create(client)
        _ = try shim.startTask(client)
        kill(try shim.shimPID(client), SIGKILL)
        let deleted = try shim.deleteAction()
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let response = try Containerd_Task_V2_DeleteResponse(serializedBytes: deleted.stdoutData)
        #expect(response.exitStatus == 137)
        #expect(response.pid == pid)
        // delete ran the executor's `delete --force` (the one in options.json):
        // the container (for runsc, its sandbox) is gone.
        let deadline = Date().addingTimeInterval(10)
        while isAlive(Int32(pid)), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!isAlive(Int32(pid)))
    }

    /// Update where the executor has it; runsc has no `update` verb, so the
    /// shim must refuse with a clear `notImplemented` rather than run it.
    @Test(arguments: ShimExecutor.allCases)
    func updateIsAppliedOrClearlyRefused(executor: ShimExecutor) throws {
        try executor.require()
        let shim = try ShimBundle(arguments: ["sleep", "1000"], executor: executor)
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        _ = try shim.create(client)
        _ = try shim.startTask(client)
        var update = Containerd_Task_V2_UpdateTaskRequest()
        update.id = shim.id
        update.resources.typeURL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"
        update.resources.value = Data(#"{"pids":{"limit":42}}"#.utf8)
        if executor == .runsc {
            #expect {
                let _: Google_Protobuf_Empty = try client.call(TaskService.name, "Update", update)
            } throws: { error in
                guard let error = error as? TTRPCError else { return false }
                return error.code == .notImplemented && error.message == "runsc does not support update"
            }
        } else {
            let _: Google_Protobuf_Empty = try client.call(TaskService.name, "Update", update)
            var stats = Containerd_Task_V2_StatsRequest()
            stats.id = shim.id
            let answer: Containerd_Task_V2_StatsResponse = try client.call(TaskService.name, "Stats", stats)
            if answer.stats.typeURL == "io.containerd.cgroups.v1.Metrics" {
                let metrics = try Io_Containerd_Cgroups_V1_Metrics(serializedBytes: answer.stats.value)
                #expect(metrics.pids.limit == 42)
            } else {
                let metrics = try Io_Containerd_Cgroups_V2_Metrics(serializedBytes: answer.stats.value)
                #expect(metrics.pids.limit == 42)
            }
        }
        try shim.kill(client, signal: 9)
    }
}
