import BerthShimProto
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// berth-shim under Debian's containerd 1.6.20 and ctr: issue 5's acceptance.
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

    @Test func exitCodesAndInstantExitsArePassedThrough() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        #expect(try containerd.run("x7", ["sh", "-c", "exit 7"]).status == 7)
        for index in 0..<5 {
            let result = try containerd.run("quick\(index)", ["true"])
            #expect(result.status == 0, "\(result.stderr)")
        }
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

    @Test(.enabled(if: ShimTestEnvironment.has("script"), "needs script(1) for a pty"))
    func aTerminalIsAllocated() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let command =
            "/usr/bin/ctr --address \(containerd.address) --namespace \(containerd.namespace) run --runtime io.containerd.berth.v2 -t --rm localhost/berth/busybox:latest tty1 sh -c 'tty; echo done'"
        let result = try Run.command("/usr/bin/script", ["-qec", command, "/dev/null"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("/dev/pts/"))
        #expect(result.stdout.contains("done"))
    }

    @Test func runningTasksSurviveASIGKILLedDaemon() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        for id in ["s1", "s2"] {
            #expect(try containerd.run(id, ["sleep", "1000"], options: ["-d", "--null-io"]).status == 0)
        }
        containerd.killDaemon()
        try containerd.start()
        #expect(try containerd.task("s1")?.status == "RUNNING")
        #expect(try containerd.task("s2")?.status == "RUNNING")
        let exec = try containerd.ctr(["tasks", "exec", "--exec-id", "after", "s1", "echo", "alive"])
        #expect(exec.stdout == "alive\n")
        #expect(try containerd.ctr(["tasks", "kill", "-s", "SIGKILL", "s2"]).status == 0)
        #expect(try containerd.waitForTask("s2", status: "STOPPED"))
    }

    @Test func anExecStormCompletes() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        #expect(try containerd.run("storm", ["sleep", "1000"], options: ["-d", "--null-io"]).status == 0)
        let count = 16
        let outputs = OutputBox(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let result = try? containerd.ctr(
                ["tasks", "exec", "--exec-id", "x\(index)", "storm", "sh", "-c", "echo n\(index); exit \(index % 4)"],
                timeout: 120)
            outputs.set(index, result?.stdout ?? "", result?.status ?? -1)
        }
        for index in 0..<count {
            #expect(outputs.output(index) == "n\(index)\n")
            #expect(outputs.status(index) == Int32(index % 4))
        }
        // All exec processes are gone from the task.
        let ps = try containerd.ctr(["tasks", "ps", "storm"])
        #expect(ps.stdout.split(separator: "\n").count == 2)
    }

    @Test func killAllTakesDownEveryProcess() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let started = try containerd.run(
            "ka", ["sh", "-c", "sleep 1000 & sleep 1000 & trap '' TERM; wait"], options: ["-d", "--null-io"])
        #expect(started.status == 0)
        Thread.sleep(forTimeInterval: 0.3)
        let before = try containerd.ctr(["tasks", "ps", "ka"]).stdout.split(separator: "\n").dropFirst()
        #expect(before.count == 3)
        #expect(try containerd.ctr(["tasks", "kill", "--all", "-s", "SIGKILL", "ka"]).status == 0)
        #expect(try containerd.waitForTask("ka", status: "STOPPED"))
        for line in before {
            if let pid = line.split(whereSeparator: \.isWhitespace).first.flatMap({ Int32($0) }) {
                #expect(!isAlive(pid))
            }
        }
    }

    @Test func closingStdinEndsTheInput() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let result = try containerd.run(
            "cat1", ["sh", "-c", "cat; echo eof"], options: ["--rm"], stdin: Data("data\n".utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "data\neof\n")
    }

    @Test func moreThanTenMegabytesArriveUntruncated() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let size = 12_000_000
        let result = try containerd.run(
            "big", ["sh", "-c", "head -c \(size) /dev/zero | tr '\\0' 'a'; echo -n END >&2"], timeout: 120)
        #expect(result.status == 0)
        #expect(result.stdoutData.count == size)
        #expect(result.stdoutData.allSatisfy { $0 == UInt8(ascii: "a") })
        #expect(result.stderr.hasSuffix("END"))
    }

    @Test func aSIGKILLedShimIsCleanedUpByTheDaemon() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        #expect(try containerd.run("ks", ["sleep", "1000"], options: ["-d", "--null-io"]).status == 0)
        let task = try #require(try containerd.task("ks"))
        let shim = try containerd.shimPID("ks")
        kill(shim, SIGKILL)
        #expect(try containerd.waitForTask("ks", status: nil))
        let deadline = Date().addingTimeInterval(10)
        while isAlive(task.pid) || FileManager.default.fileExists(atPath: containerd.bundle("ks")), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(!isAlive(task.pid))
        #expect(!FileManager.default.fileExists(atPath: containerd.bundle("ks")))
    }

    @Test func eventsAreForwardedInOrder() throws {
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let events = Process()
        events.executableURL = URL(fileURLWithPath: "/usr/bin/ctr")
        events.arguments = ["--address", containerd.address, "events"]
        let output = containerd.directory + "/events.txt"
        FileManager.default.createFile(atPath: output, contents: nil)
        events.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        try events.run()
        defer {
            kill(events.processIdentifier, SIGKILL)
            events.waitUntilExit()
        }
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
