import BerthTestSupport
import Foundation
import Testing

/// The same ctr lifecycle against berthd with each executor behind
/// berth-shim (`--runc-binary`), and with containerd's own Go shim given by
/// path (`--runtime /usr/bin/containerd-shim-runc-v2`).
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonExecutorTests {
    /// ctr flags selecting each way of running a task.
    enum Runtime: String, CaseIterable, CustomTestStringConvertible {
        case runc, crun, runsc
        case containerdShim = "containerd-shim-runc-v2"

        var flags: [String] {
            switch self {
            case .runc, .crun, .runsc: ["--runc-binary", rawValue]
            case .containerdShim: ["--runtime", "/usr/bin/containerd-shim-runc-v2"]
            }
        }

        var binary: String {
            switch self {
            case .runc, .crun, .runsc: "/usr/bin/\(rawValue)"
            case .containerdShim: "/usr/bin/containerd-shim-runc-v2"
            }
        }

        var testDescription: String { rawValue }
    }

    @Test(arguments: Runtime.allCases)
    func lifecycle(runtime: Runtime) throws {
        try #require(FileManager.default.isExecutableFile(atPath: runtime.binary), "\(runtime.binary) missing")
        let ns = "exec-\(runtime == .containerdShim ? "goshim" : runtime.rawValue)"
        let daemon = try DaemonTaskTests.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let image = DaemonTaskTests.image

        let once = try daemon.ctr(
            ["run", "--rm"] + runtime.flags + [image, "once", "sh", "-c", "echo hi; exit 5"], namespace: ns)
        #expect(once.status == 5, "\(once.stderr)\n\(daemon.log())")
        #expect(once.stdout == "hi\n")

        let run = try daemon.ctr(["run", "-d"] + runtime.flags + [image, "long", "sleep", "1000"], namespace: ns)
        #expect(run.status == 0, "\(run.stderr)")
        let exec = try daemon.ctr(["tasks", "exec", "--exec-id", "x", "long", "echo", "inside"], namespace: ns)
        #expect(exec.status == 0 && exec.stdout == "inside\n", "\(exec.stdout)\(exec.stderr)")
        #expect(try daemon.ctr(["tasks", "ls"], namespace: ns).stdout.contains("RUNNING"))
        #expect(try daemon.ctr(["tasks", "kill", "-s", "SIGKILL", "long"], namespace: ns).status == 0)
        var stopped = false
        for _ in 0..<200 where !stopped {
            stopped = try daemon.ctr(["tasks", "ls"], namespace: ns).stdout.contains("STOPPED")
            if !stopped { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(stopped)
        #expect(try daemon.ctr(["tasks", "rm", "long"], namespace: ns).status == 0)
        #expect(try daemon.ctr(["containers", "rm", "long"], namespace: ns).status == 0)
        #expect(DaemonTaskTests.leftovers(daemon, namespace: ns, id: "long").isEmpty)
        #expect(DaemonTaskTests.leftovers(daemon, namespace: ns, id: "once").isEmpty)
    }

    /// `ctr run -t` under script(1), which gives ctr a terminal.
    @Test(arguments: [Runtime.runc, .containerdShim])
    func terminal(runtime: Runtime) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1)")
        let ns = "tty"
        let daemon = try DaemonTaskTests.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let command =
            "\(DaemonHarness.ctr) --address \(daemon.address) --namespace \(ns) run -t --rm "
            + runtime.flags.joined(separator: " ") + " \(DaemonTaskTests.image) tty1 sh -c 'tty; echo done'"
        let result = try CommandResult.run("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(result.status == 0, "\(result.stderr)\n\(daemon.log())")
        #expect(result.stdout.contains("/dev/pts/"), "\(result.stdout)")
        #expect(result.stdout.contains("done"), "\(result.stdout)")

        // exec -t into a detached task.
        #expect(
            try daemon.ctr(
                ["run", "-d"] + runtime.flags + [DaemonTaskTests.image, "tty2", "sleep", "100"], namespace: ns
            ).status == 0)
        let exec =
            "\(DaemonHarness.ctr) --address \(daemon.address) --namespace \(ns) tasks exec -t --exec-id t tty2 sh -c 'tty; exit 4'"
        let execResult = try CommandResult.run("/usr/bin/script", ["-qec", exec, "/dev/null"])
        #expect(execResult.stdout.contains("/dev/pts/"), "\(execResult.stdout)\(execResult.stderr)")
        #expect(execResult.status == 4, "script returns the exec's status")
        #expect(try daemon.ctr(["tasks", "kill", "-s", "9", "tty2"], namespace: ns).status == 0)
        var removed = false
        for _ in 0..<100 where !removed {
            removed = try daemon.ctr(["tasks", "rm", "tty2"], namespace: ns).status == 0
            if !removed { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(removed)
    }
}
