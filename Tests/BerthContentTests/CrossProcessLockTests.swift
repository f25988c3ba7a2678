import BerthErrors
import BerthSystem
import Testing

@testable import BerthContent

#if canImport(Glibc)
    import Glibc
#endif

/// The ingest lock is an `flock` on the ingest directory, so it excludes
/// writers in other processes too. util-linux `flock(1)` is the other process.
@Suite struct CrossProcessLockTests {
    static let flock = "/usr/bin/flock"

    @Test(.enabled(if: access(flock, X_OK) == 0))
    func anotherProcessCannotTakeAHeldRef() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let writer = try fixture.store.writer(ref: "shared", namespace: "default")
        let directory = fixture.store.ingestDirectory(namespace: "default", ref: "shared")
        let child = try Spawn.launch(
            path: Self.flock, arguments: ["flock", "--nonblock", "--conflict-exit-code", "75", directory, "true"],
            environment: [])
        #expect(try Spawn.wait(pid: child.pid) == .exited(75))
        writer.close()
        let after = try Spawn.launch(
            path: Self.flock, arguments: ["flock", "--nonblock", "--conflict-exit-code", "75", directory, "true"],
            environment: [])
        #expect(try Spawn.wait(pid: after.pid) == .exited(0))
    }

    @Test(.enabled(if: access(flock, X_OK) == 0))
    func refHeldByAnotherProcessIsUnavailable() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        // Create the ingest, then let another process hold its lock.
        try fixture.store.writer(ref: "held", namespace: "default").close()
        let directory = fixture.store.ingestDirectory(namespace: "default", ref: "held")
        let child = try Spawn.launch(
            path: Self.flock, arguments: ["flock", directory, "sleep", "30"], environment: [])
        defer {
            kill(child.pid, SIGKILL)
            _ = try? Spawn.wait(pid: child.pid)
        }
        // Wait until the child holds the lock.
        var held = false
        for _ in 0..<200 where !held {
            if errorCode({ try fixture.store.writer(ref: "held", namespace: "default").close() }) == .unavailable {
                held = true
            } else {
                usleep(10_000)
            }
        }
        #expect(held)
        #expect(errorCode { _ = try fixture.store.writer(ref: "held", namespace: "default") } == .unavailable)
        #expect(errorCode { try fixture.store.abort(ref: "held", namespace: "default") } == .unavailable)
    }
}
