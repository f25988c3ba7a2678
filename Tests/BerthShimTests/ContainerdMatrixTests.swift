import BerthShimProto
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 5's acceptance cases under Debian's containerd 1.6 and ctr, once
/// per executor: `ctr run --runc-binary EXECUTOR` with io.containerd.runc.v2
/// resolving to berth-shim, so containerd itself sends the runtime options.
/// (An exit before start cannot be driven through ctr, which starts what it
/// creates; `ShimEdgeCaseTests` covers it per executor.)
@Suite(
    .enabled(if: ShimTestEnvironment.unavailableReason == nil, "needs root, containerd, ctr, runc, a built shim"),
    .serialized, .timeLimit(.minutes(4)))
struct ContainerdMatrixTests {
    @Test(arguments: ShimExecutor.allCases)
    func exitCodesAndInstantExitsArePassedThrough(executor: ShimExecutor) throws {
        try executor.require()
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let failed = try containerd.run("x7", ["sh", "-c", "exit 7"], on: executor)
        #expect(failed.status == 7, "\(failed.stderr)")
        #expect(containerd.logsExecutor(executor, for: "x7"))
        for index in 0..<(executor.isSlow ? 2 : 5) {
            let result = try containerd.run("quick\(index)", ["true"], on: executor)
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    @Test(arguments: ShimExecutor.allCases)
    func anExecStormCompletes(executor: ShimExecutor) throws {
        try executor.require()
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let started = try containerd.run("storm", ["sleep", "1000"], on: executor, options: ["-d", "--null-io"])
        #expect(started.status == 0, "\(started.stderr)")
        let count = executor.ctrStormSize
        let outputs = OutputBox(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let result = try? containerd.ctr(
                ["tasks", "exec", "--exec-id", "x\(index)", "storm", "sh", "-c", "echo n\(index); exit \(index % 4)"],
                timeout: 180)
            outputs.set(index, result?.stdout ?? "", result?.status ?? -1)
        }
        for index in 0..<count {
            #expect(outputs.output(index) == "n\(index)\n", "exec x\(index)")
            #expect(outputs.status(index) == Int32(index % 4), "exec x\(index)")
        }
        // All exec processes are gone from the task.
        let ps = try containerd.ctr(["tasks", "ps", "storm"])
        #expect(ps.stdout.split(separator: "\n").count == 2, "\(ps.stdout)")
    }

    @Test(arguments: ShimExecutor.allCases)
    func killAllTakesDownEveryProcess(executor: ShimExecutor) throws {
        try executor.require()
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let started = try containerd.run(
            "ka", ["sh", "-c", "sleep 1000 & sleep 1000 & trap '' TERM; wait"], on: executor,
            options: ["-d", "--null-io"])
        #expect(started.status == 0, "\(started.stderr)")
        var before: [Substring] = []
        let deadline = Date().addingTimeInterval(20)
        while before.count < 3, Date() < deadline {
            before = Array(try containerd.ctr(["tasks", "ps", "ka"]).stdout.split(separator: "\n").dropFirst())
            if before.count < 3 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(before.count == 3)
        #expect(try containerd.ctr(["tasks", "kill", "--all", "-s", "SIGKILL", "ka"]).status == 0)
        #expect(try containerd.waitForTask("ka", status: "STOPPED", timeout: 60))
        // runsc lists pids of its sandbox's pid namespace, which are not
        // host pids; that the task stopped is what can be checked there.
        guard executor.reportsHostPIDs else { return }
        for line in before {
            if let pid = line.split(whereSeparator: \.isWhitespace).first.flatMap({ Int32($0) }) {
                #expect(!isAlive(pid), "pid \(pid)")
            }
        }
    }

    @Test(arguments: ShimExecutor.allCases)
    func aTerminalIsAllocated(executor: ShimExecutor) throws {
        try executor.require()
        try #require(ShimTestEnvironment.has("script"), "needs script(1) for a pty")
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let command =
            "/usr/bin/ctr --address \(containerd.address) --namespace \(containerd.namespace) run"
            + " --runtime \(ShimExecutor.ctrRuntime) --runc-binary \(executor.rawValue) -t --rm"
            + " localhost/berth/busybox:latest tty1 sh -c '[ -t 0 ] && [ -t 1 ] && echo isatty; tty; echo done'"
        let result = try Run.command("/usr/bin/script", ["-qec", command, "/dev/null"], timeout: executor.ctrTimeout)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("isatty"), "\(result.stdout)")
        if executor.namesTerminalsInDevPts {
            #expect(result.stdout.contains("/dev/pts/"), "\(result.stdout)")
        }
        #expect(result.stdout.contains("done"), "\(result.stdout)")
    }

    @Test(arguments: ShimExecutor.allCases)
    func closingStdinEndsTheInput(executor: ShimExecutor) throws {
        try executor.require()
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let result = try containerd.run(
            "cat1", ["sh", "-c", "cat; echo eof"], on: executor, stdin: Data("data\n".utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "data\neof\n")
    }

    @Test(arguments: ShimExecutor.allCases)
    func moreThanTenMegabytesArriveUntruncated(executor: ShimExecutor) throws {
        try executor.require()
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let size = 12_000_000
        let result = try containerd.run(
            "big", ["sh", "-c", "head -c \(size) /dev/zero | tr '\\0' 'a'; echo -n END >&2"], on: executor)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutData.count == size)
        #expect(result.stdoutData.allSatisfy { $0 == UInt8(ascii: "a") })
        #expect(result.stderr.hasSuffix("END"))
    }

    @Test(arguments: ShimExecutor.allCases)
    func aSIGKILLedShimIsCleanedUpByTheDaemon(executor: ShimExecutor) throws {
        try executor.require()
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let started = try containerd.run("ks", ["sleep", "1000"], on: executor, options: ["-d", "--null-io"])
        #expect(started.status == 0, "\(started.stderr)")
        let task = try #require(try containerd.task("ks"))
        let shim = try containerd.shimPID("ks")
        kill(shim, SIGKILL)
        // containerd notices, runs the shim's `delete` (which uses the
        // executor recorded in options.json) and forgets the task.
        #expect(try containerd.waitForTask("ks", status: nil, timeout: 60))
        let deadline = Date().addingTimeInterval(20)
        while isAlive(task.pid) || FileManager.default.fileExists(atPath: containerd.bundle("ks")), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(!isAlive(task.pid))
        #expect(!FileManager.default.fileExists(atPath: containerd.bundle("ks")))
    }

    @Test(arguments: ShimExecutor.allCases)
    func runningTasksSurviveASIGKILLedDaemon(executor: ShimExecutor) throws {
        try executor.require()
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        for id in ["s1", "s2"] {
            let started = try containerd.run(id, ["sleep", "1000"], on: executor, options: ["-d", "--null-io"])
            #expect(started.status == 0, "\(started.stderr)")
        }
        containerd.killDaemon()
        try containerd.start()
        #expect(try containerd.task("s1")?.status == "RUNNING")
        #expect(try containerd.task("s2")?.status == "RUNNING")
        let exec = try containerd.ctr(
            ["tasks", "exec", "--exec-id", "after", "s1", "echo", "alive"], timeout: executor.ctrTimeout)
        #expect(exec.stdout == "alive\n", "\(exec.stderr)")
        #expect(try containerd.ctr(["tasks", "kill", "-s", "SIGKILL", "s2"]).status == 0)
        #expect(try containerd.waitForTask("s2", status: "STOPPED", timeout: 60))
        // The exit reached the restarted daemon: the task can be removed.
        #expect(try containerd.ctr(["tasks", "rm", "s2"]).status == 0)
    }
}
