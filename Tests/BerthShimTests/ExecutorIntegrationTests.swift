import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// crun and runsc chosen per container through containerd's runc `Options`
/// (`ctr run --runc-binary …`), with io.containerd.runc.v2 resolving to
/// berth-shim.
@Suite(
    .enabled(if: ShimTestEnvironment.unavailableReason == nil, "needs root, containerd, ctr, a built shim"),
    .serialized, .timeLimit(.minutes(3)))
struct ExecutorIntegrationTests {
    @Test(arguments: ["crun", "runsc"])
    func theExecutorIsChosenPerContainer(binary: String) throws {
        try #require(ShimTestEnvironment.has(binary), "\(binary) not installed")
        let containerd = try ContainerdHarness(shimAsRuncV2: true)
        defer { containerd.cleanup() }
        let run = try containerd.run(
            "\(binary)1", ["echo", "hi from \(binary)"], options: ["--rm", "--runc-binary", binary],
            runtime: "io.containerd.runc.v2", timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "hi from \(binary)\n")
        #expect(containerd.log.contains("container.id=\"\(binary)1\" executor=\"\(binary)\""))

        let detached = try containerd.run(
            "\(binary)2", ["sleep", "1000"], options: ["-d", "--null-io", "--runc-binary", binary],
            runtime: "io.containerd.runc.v2", timeout: 120)
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
