import BerthShimProto
import Foundation
import SwiftProtobuf
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 5's memory budget: idle shims under 1.0 MiB private dirty and
/// 2.0 MiB PSS each (20 of them), and bounded growth under exec churn.
@Suite(
    .enabled(if: ShimTestEnvironment.unavailableReason == nil, "needs root, containerd, ctr, runc, a built shim"),
    .serialized, .timeLimit(.minutes(5)))
struct ShimMemoryTests {
    static let privateDirtyBudget = 1024  // KiB
    static let pssBudget = 2048  // KiB
    static let churnGrowthBudget = 64  // KiB

    /// `Pss` and `Private_Dirty` of a process, in KiB.
    static func memory(of pid: Int32) -> (pss: Int, privateDirty: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        var pss = 0
        var dirty = 0
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count >= 2, let value = Int(fields[1]) else { continue }
            if fields[0] == "Pss:" { pss = value }
            if fields[0] == "Private_Dirty:" { dirty = value }
        }
        return (pss, dirty)
    }

    @Test func twentyIdleShimsStayWithinBudget() throws {
        // A freshly built binary's pages are dirty in the page cache and would
        // count as private dirty memory until written back.
        sync()
        let containerd = try ContainerdHarness()
        defer { containerd.cleanup() }
        let ids = (1...20).map { "idle\($0)" }
        for id in ids {
            let run = try containerd.run(id, ["sleep", "1000"], options: ["-d", "--null-io"])
            try #require(run.status == 0, "\(run.stderr)")
        }
        Thread.sleep(forTimeInterval: 1)
        var report: [String] = []
        for id in ids {
            let pid = try containerd.shimPID(id)
            let usage = try #require(Self.memory(of: pid))
            report.append("\(id): pss \(usage.pss) KiB, private dirty \(usage.privateDirty) KiB")
            #expect(usage.privateDirty <= Self.privateDirtyBudget, "\(id): \(usage.privateDirty) KiB private dirty")
            #expect(usage.pss <= Self.pssBudget, "\(id): \(usage.pss) KiB PSS")
        }
        print("idle shim memory:\n  " + report.joined(separator: "\n  "))
    }

    @Test func execChurnDoesNotGrowTheShim() throws {
        let count = ProcessInfo.processInfo.environment["BERTH_SHIM_EXEC_CHURN"].flatMap(Int.init) ?? 200
        sync()
        let shim = try ShimBundle(arguments: ["sleep", "100000"])
        defer { shim.cleanup() }
        try shim.start(events: false)
        let client = try shim.client()
        defer { client.close() }
        _ = try shim.create(client)
        _ = try shim.startTask(client)
        let pid = try shim.shimPID(client)
        func churn(_ range: Range<Int>) throws {
            for index in range {
                let id = "x\(index)"
                try shim.exec(client, exec: id, arguments: ["true"])
                let wait = try shim.sendWait(client, exec: id)
                _ = try shim.startTask(client, exec: id)
                let exit: Containerd_Task_V2_WaitResponse = try client.receive(wait)
                #expect(exit.exitStatus == 0)
                _ = try shim.delete(client, exec: id)
            }
        }
        try churn(0..<20)  // warm up: first-use allocations are not growth
        let before = try #require(Self.memory(of: pid))
        try churn(20..<(20 + count))
        let after = try #require(Self.memory(of: pid))
        print("exec churn (\(count) execs): private dirty \(before.privateDirty) → \(after.privateDirty) KiB")
        #expect(after.privateDirty - before.privateDirty <= Self.churnGrowthBudget)
    }
}
