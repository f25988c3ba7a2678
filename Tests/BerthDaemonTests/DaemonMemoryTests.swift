import BerthTestSupport
import Foundation
import Testing

/// Idle berthd memory (issue 6: at most 32 MiB resident; a private
/// containerd 1.6 idles at 39–40 MiB on this machine). The budget is for the
/// release build (30.0–30.2 MiB on 2026-11-29); the debug build carries far
/// more code pages (45.4 MiB), so it is held to a documented debug ceiling
/// instead. When a release berthd has been built (`swift build -c release
/// --product berthd`), it is held to the budget too. `hack/bench-daemon.sh`
/// prints the same figures beside containerd's.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonMemoryTests {
    /// The budget for the release build, in KiB.
    static let releaseBudget = 32 * 1024
    /// The ceiling for the debug build, in KiB: measured at 44.6–45.4 MiB
    /// on 2026-11-29 (Debian 12, 2 cores; static runtime), plus room for
    /// noise (under 1 MiB between runs) and growth.
    static let debugCeiling = 50 * 1024
    static let release = SchemaValidator.repositoryRoot + "/.build/release/berthd"

    @Test func idleDebugBerthdStaysUnderItsCeiling() throws {
        let rss = try Self.idleRSS(binary: nil)
        #expect(rss <= Self.debugCeiling, "debug berthd idles at \(rss) KiB, ceiling \(Self.debugCeiling) KiB")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: release), "no release berthd built"))
    func idleReleaseBerthdMeetsTheBudget() throws {
        let rss = try Self.idleRSS(binary: Self.release)
        #expect(rss <= Self.releaseBudget, "release berthd idles at \(rss) KiB, budget \(Self.releaseBudget) KiB")
    }

    /// VmRSS in KiB of a berthd (the harness's debug binary, or `binary`)
    /// after start-up, three rounds of six ctr calls and two idle seconds.
    static func idleRSS(binary: String?) throws -> Int {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start(binary: binary)
        for _ in 0..<3 {
            for command in [
                ["version"], ["namespaces", "ls"], ["images", "ls"], ["content", "ls"], ["snapshots", "ls"],
                ["leases", "ls"],
            ] {
                let result = try daemon.ctr(command)
                #expect(result.status == 0, "ctr \(command): \(result.stderr)")
            }
        }
        Thread.sleep(forTimeInterval: 2)
        let pid = try #require(daemon.process?.processIdentifier)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let fields = line.split { $0 == " " || $0 == "\t" }
        return try #require(fields.count > 1 ? Int(fields[1]) : nil, "\(line)")
    }
}
