import BerthTestSupport
import Foundation
import Testing

/// Leak accounting (issue 9): after many `ctr run --rm` cycles through
/// berthd, its descriptors, the host's mounts, the namespace's cgroups and
/// the live processes are back at their baseline, and berthd's RSS has grown
/// by at most 5 %. `make test` runs `LEAK_CYCLES` (default 100); `make leaks`
/// runs 1,000.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonLeakTests {
    static var cycles: Int { Int(ProcessInfo.processInfo.environment["LEAK_CYCLES"] ?? "") ?? 100 }

    struct Counts: Equatable, CustomStringConvertible {
        var descriptors: Int
        var mounts: Int
        var cgroups: Int
        var processes: Int

        var description: String {
            "fds \(descriptors), mounts \(mounts), cgroups \(cgroups), live processes \(processes)"
        }
    }

    @Test func runRemoveCyclesReturnToTheBaseline() throws {
        let ns = "leaks"
        let daemon = try DaemonTaskTests.daemon(namespace: ns)
        defer { daemon.cleanup() }
        let pid = try #require(daemon.process?.processIdentifier)
        func cycle(_ index: Int) throws {
            let run = try daemon.ctr(["run", "--rm", DaemonTaskTests.image, "leak\(index)", "true"], namespace: ns)
            #expect(run.status == 0, "cycle \(index): \(run.stderr)")
        }
        for index in 0..<10 { try cycle(index) }  // warm up: caches, pools, SQLite pages
        Thread.sleep(forTimeInterval: 1)
        let baseline = Self.counts(berthd: pid, namespace: ns)
        let baselineRSS = Self.rss(pid)
        let start = Date()
        for index in 10..<(10 + Self.cycles) { try cycle(index) }
        let seconds = Date().timeIntervalSince(start)
        Thread.sleep(forTimeInterval: 1)
        let after = Self.counts(berthd: pid, namespace: ns)
        let afterRSS = Self.rss(pid)
        #expect(after == baseline, "before \(baseline); after \(Self.cycles) cycles \(after)")
        let growth = Double(afterRSS - baselineRSS) / Double(max(baselineRSS, 1))
        #expect(growth <= 0.05, "berthd RSS \(baselineRSS) → \(afterRSS) KiB (+\(Int(growth * 100)) %)")
        print(
            "leaks: \(Self.cycles) run --rm cycles in \(Int(seconds)) s; \(after); "
                + "berthd RSS \(baselineRSS) → \(afterRSS) KiB")
    }

    static func counts(berthd pid: Int32, namespace: String) -> Counts {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        let mounts = ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").count
        // ctr puts a container in the cgroup /<namespace>/<id>.
        var cgroups = 0
        for controller in ["pids", "memory", "cpu", "unified"] {
            let directory = "/sys/fs/cgroup/\(controller)/\(namespace)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory),
                    isDirectory.boolValue
                {
                    cgroups += 1
                }
            }
        }
        // Live processes that are Berth's doing: the namespace's shims,
        // berthd's children, and anything in the namespace's cgroups
        // (unrelated activity on the host does not count).
        let processes =
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [])
            .compactMap(Int32.init).filter { candidate in
                guard DaemonRestartTests.isLiveProcess(candidate) else { return false }
                if ProcessParent.of(candidate) == pid { return true }
                let cgroup = (try? String(contentsOfFile: "/proc/\(candidate)/cgroup", encoding: .utf8)) ?? ""
                return cgroup.contains(":/\(namespace)/")
            }.count + DaemonRestartTests.shims(namespace: namespace).count
        return Counts(descriptors: fds, mounts: mounts, cgroups: cgroups, processes: processes)
    }

    static func rss(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}

/// A process's parent, from /proc.
enum ProcessParent {
    static func of(_ pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}
