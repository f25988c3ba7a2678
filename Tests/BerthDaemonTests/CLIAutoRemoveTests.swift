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

    @Test func createRemoveThenStartIsRemovedWhenItExits() throws {
        let fixture = try Fixture(namespace: "cliautormcreate")
        defer { fixture.cleanup(["made"]) }
        let create = try fixture.berth(["create", "--rm", "--name", "made", Self.image, "sh", "-c", "exit 4"])
        #expect(create.status == 0, "\(create.stderr)")
        // Created, not started: the daemon leaves it alone, also across a
        // restart (it never had a task to stop).
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try fixture.berth(["ps", "-a", "-q"]).stdout.contains("made"))
        #expect(fixture.daemon.stop(signal: SIGKILL) != nil)
        try fixture.daemon.start()
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try fixture.berth(["ps", "-a", "-q"]).stdout.contains("made"), "\(fixture.daemon.log())")
        #expect(try fixture.berth(["start", "made"]).status == 0)
        #expect(try Self.waitUntilGone(fixture, "made"), "\(fixture.daemon.log())")
        try fixture.expectGone("made")
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
