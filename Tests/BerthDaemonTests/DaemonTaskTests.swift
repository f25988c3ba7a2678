import BerthTestSupport
import Foundation
import Testing

/// Containers and tasks through Debian's ctr against a real berthd, which
/// starts berth-shim (or containerd's own shim) per task.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonTaskTests {
    static let image = DaemonImageTests.imageName

    /// A started daemon with the test image imported into `namespace`.
    static func daemon(namespace: String) throws -> DaemonHarness {
        let daemon = try DaemonHarness()
        do {
            try daemon.start()
            let archive = try DaemonImageTests.makeArchive(in: daemon)
            let imported = try daemon.ctr(["images", "import", archive], namespace: namespace)
            guard imported.status == 0 else { throw HarnessError("import: \(imported.stderr)") }
        } catch {
            daemon.cleanup()
            throw error
        }
        return daemon
    }

    /// What is left of task `id`: its bundle and work directories.
    static func leftovers(_ daemon: DaemonHarness, namespace: String, id: String) -> [String] {
        [
            daemon.state + "/io.containerd.runtime.v2.task/\(namespace)/\(id)",
            daemon.root + "/io.containerd.runtime.v2.task/\(namespace)/\(id)",
        ].filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test func runRemovePrintsAndCleansUp() throws {
        let ns = "taskrm"
        let daemon = try Self.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let run = try daemon.ctr(["run", "--rm", Self.image, "hello", "echo", "hi"], namespace: ns)
        #expect(run.status == 0, "\(run.stderr)\n\(daemon.log())")
        #expect(run.stdout == "hi\n")
        let exit = try daemon.ctr(["run", "--rm", Self.image, "seven", "sh", "-c", "exit 7"], namespace: ns)
        #expect(exit.status == 7, "\(exit.stderr)")
        #expect(Self.leftovers(daemon, namespace: ns, id: "hello").isEmpty)
        #expect(Self.leftovers(daemon, namespace: ns, id: "seven").isEmpty)
        let containers = try daemon.ctr(["containers", "ls", "-q"], namespace: ns)
        #expect(containers.stdout.isEmpty, "\(containers.stdout)")
        let tasks = try daemon.ctr(["tasks", "ls", "-q"], namespace: ns)
        #expect(tasks.stdout.isEmpty, "\(tasks.stdout)")
    }
}

extension DaemonTaskTests {
    /// `run -d`, then everything ctr does with a running task, with
    /// `ctr events` watching the lifecycle as it happens.
    @Test func aDetachedTaskThroughItsWholeLife() throws {
        let ns = "tasklife"
        let daemon = try Self.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let events = try StreamingCommand(
            DaemonHarness.ctr, ["--address", daemon.address, "--namespace", ns, "events"])
        defer { events.stop() }
        Thread.sleep(forTimeInterval: 0.3)

        let run = try daemon.ctr(["run", "-d", Self.image, "life", "sleep", "1000"], namespace: ns)
        #expect(run.status == 0, "\(run.stderr)\n\(daemon.log())")
        let listed = try daemon.ctr(["tasks", "ls"], namespace: ns)
        #expect(listed.stdout.contains("life") && listed.stdout.contains("RUNNING"), "\(listed.stdout)")

        let exec = try daemon.ctr(
            ["tasks", "exec", "--exec-id", "e1", "life", "sh", "-c", "echo in; exit 3"], namespace: ns)
        #expect(exec.status == 3, "\(exec.stderr)")
        #expect(exec.stdout == "in\n")

        let ps = try daemon.ctr(["tasks", "ps", "life"], namespace: ns)
        #expect(ps.status == 0 && ps.stdout.contains("PID"), "\(ps.stdout)\(ps.stderr)")
        let metrics = try daemon.ctr(["tasks", "metrics", "life"], namespace: ns)
        #expect(metrics.status == 0 && metrics.stdout.contains("memory"), "\(metrics.stdout)\(metrics.stderr)")

        #expect(try daemon.ctr(["tasks", "pause", "life"], namespace: ns).status == 0)
        #expect(try daemon.ctr(["tasks", "ls"], namespace: ns).stdout.contains("PAUSED"))
        #expect(try daemon.ctr(["tasks", "resume", "life"], namespace: ns).status == 0)
        #expect(try daemon.ctr(["tasks", "ls"], namespace: ns).stdout.contains("RUNNING"))

        let info = try daemon.ctr(["containers", "info", "life"], namespace: ns)
        #expect(info.stdout.contains("\"Runtime\"") && info.stdout.contains("io.containerd.runc.v2"), "\(info.stdout)")
        let busy = try daemon.ctr(["containers", "rm", "life"], namespace: ns)
        #expect(busy.status != 0, "a running task's container must not be removed")

        #expect(try daemon.ctr(["tasks", "kill", "-s", "SIGKILL", "life"], namespace: ns).status == 0)
        var stopped = false
        for _ in 0..<100 where !stopped {
            stopped = try daemon.ctr(["tasks", "ls"], namespace: ns).stdout.contains("STOPPED")
            if !stopped { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(stopped)
        let again = try daemon.ctr(["tasks", "kill", "life"], namespace: ns)
        #expect(again.status != 0 && again.stderr.contains("process already finished"), "\(again.stderr)")
        #expect(try daemon.ctr(["tasks", "rm", "life"], namespace: ns).status == 0)
        #expect(try daemon.ctr(["containers", "rm", "life"], namespace: ns).status == 0)
        #expect(Self.leftovers(daemon, namespace: ns, id: "life").isEmpty)

        #expect(events.waitForLine(containing: "/containers/delete") != nil, "\(events.text)")
        let topics = events.text.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("/tasks/") || $0.hasPrefix("/containers/") }
        }.map(String.init)
        let lifecycle = topics.filter { !$0.hasPrefix("/tasks/exec") }
        // The first exit is the exec's, the second the init's.
        #expect(
            lifecycle == [
                "/containers/create", "/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/paused",
                "/tasks/resumed", "/tasks/exit", "/tasks/delete", "/containers/delete",
            ], "\(events.text)")
        #expect(topics.contains("/tasks/exec-added") && topics.contains("/tasks/exec-started"))
        #expect(topics.filter { $0 == "/tasks/exit" }.count == 2, "one exit for the exec, one for the init")
    }

    /// An unknown container, a task that does not exist, a second task.
    @Test func errorsMatchContainerd() throws {
        let ns = "taskerr"
        let daemon = try Self.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let missing = try daemon.ctr(["tasks", "kill", "nope"], namespace: ns)
        #expect(missing.status != 0 && missing.stderr.contains("not found"), "\(missing.stderr)")
        #expect(
            try daemon.ctr(["containers", "create", Self.image, "idle", "sleep", "100"], namespace: ns).status == 0)
        let noTask = try daemon.ctr(["tasks", "kill", "idle"], namespace: ns)
        #expect(noTask.status != 0 && noTask.stderr.contains("not found"), "\(noTask.stderr)")
        #expect(try daemon.ctr(["tasks", "start", "-d", "idle"], namespace: ns).status == 0)
        let twice = try daemon.ctr(["tasks", "start", "-d", "idle"], namespace: ns)
        #expect(twice.status != 0 && twice.stderr.contains("already exists"), "\(twice.stderr)")
        #expect(try daemon.ctr(["tasks", "kill", "-s", "9", "idle"], namespace: ns).status == 0)
        _ = try daemon.ctr(["tasks", "rm", "-f", "idle"], namespace: ns)
        #expect(try daemon.ctr(["containers", "rm", "idle"], namespace: ns).status == 0)
        #expect(Self.leftovers(daemon, namespace: ns, id: "idle").isEmpty)
    }
}

extension DaemonTaskTests {
    /// A shim SIGKILLed while berthd runs: the task is reported stopped
    /// (137: nothing was stored), once, with an event; `tasks rm` removes it
    /// with `/tasks/delete`, and nothing of it is left.
    @Test func aShimKilledUnderARunningDaemonIsBuried() throws {
        let ns = "deadshim"
        let daemon = try Self.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let events = try StreamingCommand(
            DaemonHarness.ctr, ["--address", daemon.address, "--namespace", ns, "events"])
        defer { events.stop() }
        #expect(try daemon.ctr(["run", "-d", Self.image, "victim", "sleep", "1000"], namespace: ns).status == 0)
        let task = try DaemonRestartTests.taskPID(daemon, ns: ns, id: "victim")
        let shim = try DaemonRestartTests.shimPID(daemon, ns: ns, id: "victim")
        kill(shim, SIGKILL)
        #expect(events.waitForLine(containing: "/tasks/exit") != nil, "\(events.text)\n\(daemon.log())")
        let list = try daemon.ctr(["tasks", "ls"], namespace: ns)
        #expect(DaemonRestartTests.status(list.stdout, "victim") == "STOPPED", "\(list.stdout)")
        #expect(!DaemonRestartTests.isLiveProcess(task), "the container's init must be gone with its shim")
        let wait = try daemon.ctr(["tasks", "rm", "victim"], namespace: ns)
        #expect(wait.status == 0, "\(wait.stderr)")
        #expect(events.waitForLine(containing: "/tasks/delete") != nil, "\(events.text)")
        #expect(events.text.components(separatedBy: "/tasks/exit").count == 2, "exactly one exit: \(events.text)")
        #expect(events.text.contains("\"exit_status\":137"), "\(events.text)")
        #expect(try daemon.ctr(["containers", "rm", "victim"], namespace: ns).status == 0)
        #expect(Self.leftovers(daemon, namespace: ns, id: "victim").isEmpty)
    }
}
