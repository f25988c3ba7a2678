import BerthTestSupport
import Foundation
import Testing

/// `berth bench` against a real berthd: every phase is measured for every
/// iteration, berthd's Tasks.Create breakdown arrives, memory is sampled,
/// and nothing is left behind.
@Suite(.enabled(if: CLIContainerAvailability.reason == nil, "berth, berthd or ctr unavailable"), .serialized)
struct CLIBenchTests {
    @Test func aSmallRunReportsEveryPhaseAsJSON() throws {
        let fixture = try CLIContainerTests.Fixture(namespace: "bench")
        defer { fixture.cleanup() }
        let run = try fixture.berth([
            "bench", "-N", "4", "-c", "2", "--exec", "--memory-samples", "2", "--json", "--executor", "runc",
            "--executor", "crun", CLIContainerTests.image,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
        let executors = try #require(report["executors"] as? [[String: Any]])
        #expect(executors.compactMap { $0["name"] as? String } == ["runc", "crun"])
        for executor in executors {
            let phases = try #require(executor["phases"] as? [[String: Any]])
            let names = phases.compactMap { $0["name"] as? String }
            #expect(
                names == [
                    "snapshot", "create", "task_create", "api", "bundle", "shim_start", "connect", "shim_create",
                    "executor_create", "start", "executor_start", "exec", "exit", "delete", "shim_delete",
                    "executor_delete",
                    "finish", "total",
                ], "\(names)")
            for phase in phases {
                #expect(phase["count"] as? Int == 4, "\(phase)")
                #expect((phase["p50"] as? Int ?? 0) <= (phase["p99"] as? Int ?? 0))
            }
            // The shim's executor timings lie inside berthd's and the client's.
            func p50(_ name: String) -> Int { phases.first { $0["name"] as? String == name }?["p50"] as? Int ?? -1 }
            #expect(p50("executor_create") > 0 && p50("executor_create") <= p50("shim_create"), "\(phases)")
            #expect(p50("executor_start") > 0 && p50("executor_start") <= p50("start"), "\(phases)")
            #expect(p50("executor_delete") > 0 && p50("executor_delete") <= p50("shim_delete"), "\(phases)")
            #expect(p50("shim_delete") <= p50("delete") && p50("finish") <= p50("delete"), "\(phases)")
            #expect(p50("api") >= 0 && p50("api") < p50("task_create"), "\(phases)")
            #expect(p50("snapshot") > 0 && p50("snapshot") < p50("total"), "\(phases)")
            let memory = try #require(executor["shim_memory"] as? [String: Any])
            #expect(memory["shims"] as? Int == 2)
            #expect((memory["private_dirty_kib"] as? Int ?? 0) > 0, "\(memory)")
        }
        #expect((report["berthd_rss_kib"] as? Int ?? 0) > 0)
        let left = try fixture.daemon.ctr(["containers", "ls", "-q"], namespace: "bench")
        #expect(left.stdout.isEmpty, "\(left.stdout)")
        let tasks = try fixture.daemon.ctr(["tasks", "ls", "-q"], namespace: "bench")
        #expect(tasks.stdout.isEmpty, "\(tasks.stdout)")
    }
}
