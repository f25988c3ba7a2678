import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// runc, crun and runsc chosen per container through containerd's runc
/// `Options` (`ctr run --runc-binary …`), with io.containerd.runc.v2
/// resolving to berth-shim: the lifecycle (run, exec, pause, metrics, kill).
@Suite(
    .enabled(if: ShimTestEnvironment.unavailableReason == nil, "needs root, containerd, ctr, a built shim"),
    .serialized, .timeLimit(.minutes(3)))
struct ExecutorIntegrationTests {
    @Test(arguments: ShimExecutor.allCases)
    func theExecutorIsChosenPerContainer(executor: ShimExecutor) throws {
        try executor.require()
        let binary = executor.rawValue
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let run = try containerd.run("\(binary)1", ["echo", "hi from \(binary)"], on: executor)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "hi from \(binary)\n")
        #expect(containerd.logsExecutor(executor, for: "\(binary)1"))

        let detached = try containerd.run("\(binary)2", ["sleep", "1000"], on: executor, options: ["-d", "--null-io"])
        #expect(detached.status == 0, "\(detached.stderr)")
        let exec = try containerd.ctr(["tasks", "exec", "--exec-id", "e", "\(binary)2", "sh", "-c", "echo ok; exit 2"])
        #expect(exec.status == 2)
        #expect(exec.stdout == "ok\n")
        #expect(try containerd.ctr(["tasks", "pause", "\(binary)2"]).status == 0)
        #expect(try containerd.task("\(binary)2")?.status == "PAUSED")
        #expect(try containerd.ctr(["tasks", "resume", "\(binary)2"]).status == 0)
        #expect(try containerd.ctr(["tasks", "metrics", "\(binary)2"]).status == 0)
        #expect(try containerd.ctr(["tasks", "kill", "-s", "SIGKILL", "\(binary)2"]).status == 0)
        #expect(try containerd.waitForTask("\(binary)2", status: "STOPPED"))
        #expect(try containerd.ctr(["tasks", "rm", "\(binary)2"]).status == 0)
    }
}
