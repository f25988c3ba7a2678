import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `berth run -d --rm`: berthd removes the container when it exits, also
/// when it exited while berthd was down.
@Suite(.enabled(if: CLIContainerAvailability.reason == nil, "berth, berthd or ctr unavailable"), .serialized)
struct CLIAutoRemoveTests {
    typealias Fixture = CLIContainerTests.Fixture
    static let image = CLIContainerTests.image

    /// Polls `berth ps -a -q` until `id` is gone.
    static func waitUntilGone(_ fixture: Fixture, _ id: String, timeout: TimeInterval = 20) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let listed = try fixture.berth(["ps", "-a", "-q"]).stdout
            if !listed.split(separator: "\n").contains(Substring(id)) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    @Test func aDetachedRemoveContainerIsRemovedWhenItExits() throws {
        let fixture = try Fixture(namespace: "cliautorm")
        defer { fixture.cleanup(["quick", "kept"]) }
        let run = try fixture.berth([
            "run", "-d", "--rm", "--name", "quick", Self.image, "sh", "-c", "echo hello; sleep 1; exit 3",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "quick\n")
        #expect(try fixture.berth(["ps", "-q"]).stdout.contains("quick"))
        #expect(try Self.waitUntilGone(fixture, "quick"), "\(fixture.daemon.log())")
        try fixture.expectGone("quick")

        // Without --rm a detached container stays after its exit.
        #expect(try fixture.berth(["run", "-d", "--name", "kept", Self.image, "true"]).status == 0)
        Thread.sleep(forTimeInterval: 1)
        #expect(try fixture.berth(["ps", "-a", "-q"]).stdout.contains("kept"))
    }

    @Test func aRemoveContainerThatExitedWhileTheDaemonWasDownIsRemovedAtStart() throws {
        let fixture = try Fixture(namespace: "cliautormrestart")
        defer { fixture.cleanup(["later"]) }
        let run = try fixture.berth(["run", "-d", "--rm", "--name", "later", Self.image, "sleep", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(fixture.daemon.stop(signal: SIGKILL) != nil)
        Thread.sleep(forTimeInterval: 2)
        try fixture.daemon.start()
        #expect(try Self.waitUntilGone(fixture, "later"), "\(fixture.daemon.log())")
        try fixture.expectGone("later")
    }
}
