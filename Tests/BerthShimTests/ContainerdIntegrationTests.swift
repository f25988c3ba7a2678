import BerthShimProto
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// berth-shim under Debian's containerd 1.6.20 and ctr with the default
/// runtime name (io.containerd.berth.v2, no runtime options: runc). Issue 5's
/// edge cases run on every executor in `ContainerdMatrixTests`.
@Suite(
    .enabled(if: ShimTestEnvironment.unavailableReason == nil, "needs root, containerd, ctr, runc, a built shim"),
    .serialized, .timeLimit(.minutes(3)))
struct ContainerdIntegrationTests {
    @Test func runRemovePrintsHi() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let result = try containerd.run("hi1", ["echo", "hi"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "hi\n")
        // Everything is gone afterwards: no task, no bundle, no mount, and the shim said it served.
        #expect(try containerd.task("hi1") == nil)
        #expect(!FileManager.default.fileExists(atPath: containerd.bundle("hi1")))
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(containerd.directory + "/state"))
        #expect(containerd.log.contains("msg=\"creating task\" container.id=\"hi1\" executor=\"runc\""))
    }

    @Test func aDetachedTaskCanBeExecedListedMeasuredPausedAndKilled() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let started = try containerd.run("d1", ["sleep", "1000"], options: ["-d", "--null-io"])
        #expect(started.status == 0, "\(started.stderr)")
        let task = try #require(try containerd.task("d1"))
        #expect(task.status == "RUNNING")

        let exec = try containerd.ctr(["tasks", "exec", "--exec-id", "e1", "d1", "sh", "-c", "echo from-exec; exit 3"])
        #expect(exec.status == 3)
        #expect(exec.stdout == "from-exec\n")

        let ps = try containerd.ctr(["tasks", "ps", "d1"])
        #expect(ps.status == 0)
        #expect(ps.stdout.contains(String(task.pid)))

        let metrics = try containerd.ctr(["tasks", "metrics", "d1"])
        #expect(metrics.status == 0, "\(metrics.stderr)")
        #expect(metrics.stdout.contains("memory.usage_in_bytes"))
        #expect(metrics.stdout.contains("pids.current"))

        #expect(try containerd.ctr(["tasks", "pause", "d1"]).status == 0)
        #expect(try containerd.task("d1")?.status == "PAUSED")
        #expect(try containerd.ctr(["tasks", "pause", "d1"]).status != 0)
        #expect(try containerd.ctr(["tasks", "resume", "d1"]).status == 0)
        #expect(try containerd.task("d1")?.status == "RUNNING")

        #expect(try containerd.ctr(["tasks", "kill", "-s", "SIGKILL", "d1"]).status == 0)
        #expect(try containerd.waitForTask("d1", status: "STOPPED"))
        let again = try containerd.ctr(["tasks", "kill", "d1"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("process already finished"))
        #expect(try containerd.ctr(["tasks", "rm", "d1"]).status == 0)
        #expect(try containerd.task("d1") == nil)
    }

    @Test func eventsAreForwardedInOrder() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let output = containerd.directory + "/events.txt"
        let events = try TestProcess(
            "/usr/bin/ctr", ["--address", containerd.address, "events"], stdout: output,
            stderr: containerd.directory + "/events.err")
        defer { events.terminate(grace: .seconds(1)) }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try containerd.run("ev", ["sh", "-c", "exit 4"]).status == 4)
        Thread.sleep(forTimeInterval: 0.5)
        let topics = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap {
            line -> String? in
            line.split(separator: " ").first { $0.hasPrefix("/tasks/") }.map(String.init)
        }
        #expect(topics == ["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"])
    }
}

/// Per-index results written from concurrent iterations.
final class OutputBox: @unchecked Sendable {
    private let lock = NSLock()
    private var outputs: [String]
    private var statuses: [Int32]

    init(count: Int) {
        outputs = Array(repeating: "", count: count)
        statuses = Array(repeating: -1, count: count)
    }

    func set(_ index: Int, _ output: String, _ status: Int32) {
        lock.lock()
        outputs[index] = output
        statuses[index] = status
        lock.unlock()
    }

    func output(_ index: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        return outputs[index]
    }

    func status(_ index: Int) -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        return statuses[index]
    }
}
