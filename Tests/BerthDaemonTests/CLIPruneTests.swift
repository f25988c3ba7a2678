import BerthTestSupport
import Foundation
import Testing

/// `berth system prune` and `berth image prune` against a real berthd:
/// the confirmation prompt, stopped containers (records, snapshots, logs)
/// removed and running ones kept, dangling then all unused images, and the
/// synchronous collection of their content and snapshots.
@Suite(.enabled(if: CLIContainerAvailability.reason == nil, "berth, berthd or ctr unavailable"), .serialized)
struct CLIPruneTests {
    static let image = DaemonImageTests.imageName

    /// Runs `berth ARGS…` in the fixture's namespace with `input` on stdin.
    static func berth(
        _ arguments: [String], fixture: CLIContainerTests.Fixture, input: String
    ) throws -> CLIImageTests.Output {
        let scratch = try TemporaryDirectory(prefix: "berth-cli")
        defer { scratch.remove() }
        try input.write(toFile: scratch.path + "/in", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["BERTH_ADDRESS"] = fixture.daemon.address
        environment["BERTH_NAMESPACE"] = fixture.namespace
        environment["BERTH_LOG_DIR"] = fixture.logRoot
        let process = try TestProcess(
            CLIBinary.path, arguments, stdout: scratch.path + "/out", stderr: scratch.path + "/err",
            environment: environment, stdin: scratch.path + "/in")
        guard let status = process.wait(timeout: .seconds(120)) else {
            process.terminate(grace: .seconds(2))
            throw HarnessError("berth \(arguments) timed out")
        }
        return CLIImageTests.Output(
            status: status,
            stdout: (try? String(contentsOfFile: scratch.path + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: scratch.path + "/err", encoding: .utf8)) ?? "")
    }

    @Test func systemPruneThenImagePrune() throws {
        let fixture = try Fixture(namespace: "cliprune")
        defer { fixture.cleanup(["exited", "fresh", "live"]) }
        let ns = fixture.namespace
        let daemon = fixture.daemon

        let exited = try fixture.berth(["run", "--name", "exited", Self.image, "echo", "bye"])
        #expect(exited.status == 0, "\(exited.stderr)\n\(daemon.log())")
        #expect(try fixture.berth(["create", "--name", "fresh", Self.image, "true"]).status == 0)
        let live = try fixture.berth(["run", "-d", "--name", "live", Self.image, "sleep", "300"])
        #expect(live.status == 0, "\(live.stderr)")
        // A dangling image: a name without a tag, for the same image.
        let digest = try #require(
            try fixture.berth(["image", "inspect", "--format", "json", Self.image]).stdout
                .split(separator: "\"").first { $0.hasPrefix("sha256:") })
        let dangling = "example.com/berth/dangling@\(digest)"
        #expect(try fixture.berth(["image", "tag", Self.image, dangling]).status == 0)

        // Declined (and end of input): nothing is removed.
        for answer in ["n\n", ""] {
            let declined = try Self.berth(["system", "prune"], fixture: fixture, input: answer)
            #expect(declined.status == 0, "\(declined.stderr)")
            #expect(declined.stdout.contains("WARNING!"), "\(declined.stdout)")
            #expect(declined.stdout.contains("[y/N]"), "\(declined.stdout)")
            #expect(!declined.stdout.contains("Deleted"), "\(declined.stdout)")
            #expect(try fixture.berth(["ps", "-a", "-q"]).stdout.split(separator: "\n").count == 3)
        }

        // Accepted: the stopped and never-started containers go; the running
        // one and the images it uses (by name or by digest) stay.
        let pruned = try Self.berth(["system", "prune"], fixture: fixture, input: "y\n")
        #expect(pruned.status == 0, "\(pruned.stderr)\n\(daemon.log())")
        #expect(pruned.stdout.contains("Deleted Containers:\n"), "\(pruned.stdout)")
        #expect(pruned.stdout.contains("\nexited\n") && pruned.stdout.contains("\nfresh\n"), "\(pruned.stdout)")
        #expect(!pruned.stdout.contains("live"), "\(pruned.stdout)")
        #expect(!pruned.stdout.contains("Deleted Images:"), "\(pruned.stdout)")
        #expect(pruned.stdout.contains("Total reclaimed space: "), "\(pruned.stdout)")
        try fixture.expectGone("exited")
        try fixture.expectGone("fresh")
        #expect(try fixture.berth(["ps", "-q"]).stdout == "live\n")
        #expect(try fixture.berth(["image", "ls", "-q"]).stdout.split(separator: "\n").count == 2)

        // Without a container, the dangling name goes; the tagged one stays
        // (it holds the same content, so nothing is reclaimed yet).
        #expect(try fixture.berth(["rm", "-f", "live"]).status == 0)
        let danglingPrune = try fixture.berth(["image", "prune", "-f"])
        #expect(danglingPrune.status == 0, "\(danglingPrune.stderr)")
        #expect(danglingPrune.stdout.contains("untagged: \(dangling)\n"), "\(danglingPrune.stdout)")
        #expect(danglingPrune.stdout.hasSuffix("Total reclaimed space: 0 B\n"), "\(danglingPrune.stdout)")
        #expect(try fixture.berth(["image", "ls", "-q"]).stdout == Self.image + "\n")

        // -a: every unused image, then its content and snapshots are collected.
        let all = try fixture.berth(["system", "prune", "-a", "-f"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("untagged: \(Self.image)\n"), "\(all.stdout)")
        #expect(!all.stdout.contains("Total reclaimed space: 0 B"), "\(all.stdout)")
        #expect(try fixture.berth(["image", "ls", "-q"]).stdout.isEmpty)
        #expect(try daemon.ctr(["content", "ls", "-q"], namespace: ns).stdout.isEmpty)
        let snapshots = try daemon.ctr(["snapshots", "ls"], namespace: ns).stdout
        #expect(snapshots.split(separator: "\n").count <= 1, "only the header: \(snapshots)")
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: ns).stdout.isEmpty)

        // Nothing left: still succeeds.
        let empty = try fixture.berth(["system", "prune", "-f"])
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout == "Total reclaimed space: 0 B\n", "\(empty.stdout)")
    }

    typealias Fixture = CLIContainerTests.Fixture
}
