import BerthTestSupport
import Foundation
import Testing

/// The built `berth` CLI against a real berthd and a loopback registry:
/// pull, images (text and JSON), tag, inspect, rm, export and import,
/// namespaces, version, and exit status 125 for errors from the daemon.
@Suite(.enabled(if: CLIBinary.unavailableReason == nil, "berth, berthd, ctr, docker-registry or skopeo unavailable"))
struct CLIImageTests {
    static let berth = CLIBinary.path

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `berth --address SOCK ARGS…` (with `-n NS` after the subcommand path when given).
    static func berth(_ arguments: [String], daemon: DaemonHarness, namespace: String? = nil) throws -> Output {
        let scratch = try TemporaryDirectory(prefix: "berth-cli")
        defer { scratch.remove() }
        var environment = ProcessInfo.processInfo.environment
        environment["BERTH_ADDRESS"] = daemon.address
        if let namespace { environment["BERTH_NAMESPACE"] = namespace }
        let process = try TestProcess(
            berth, arguments, stdout: scratch.path + "/out", stderr: scratch.path + "/err", environment: environment)
        guard let status = process.wait(timeout: .seconds(120)) else {
            process.terminate(grace: .seconds(2))
            throw HarnessError("berth \(arguments) timed out")
        }
        return Output(
            status: status,
            stdout: (try? String(contentsOfFile: scratch.path + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: scratch.path + "/err", encoding: .utf8)) ?? "")
    }

    @Test func pullListTagInspectRemove() async throws {
        let fixture = try await PullFixture.start()
        defer { fixture.stop() }
        let daemon = fixture.daemon
        let ns = "cli-images"
        let reference = try fixture.pushBusybox(as: "berth/busybox:latest")
        func run(_ arguments: [String]) throws -> Output {
            try Self.berth(arguments, daemon: daemon, namespace: ns)
        }

        // pull: stdout is not a terminal, so plain lines per status change.
        let pull = try run(["pull", "--plain-http", reference])
        #expect(pull.status == 0, "\(pull.stderr)\n\(daemon.log())")
        let lines = pull.stdout.split(separator: "\n")
        #expect(lines.contains { $0.contains("downloading") }, "\(pull.stdout)")
        #expect(lines.contains { $0.contains("  done  ") }, "\(pull.stdout)")
        let last = try #require(lines.last)
        #expect(last.hasPrefix("\(reference): sha256:"), "\(pull.stdout)")
        #expect(last.contains("unpacked into"), "\(pull.stdout)")
        let check = try daemon.ctr(["images", "check"], namespace: ns)
        #expect(check.stdout.contains("true"), "unpacked: \(check.stdout)")

        // images / image ls, plain and JSON.
        let table = try run(["images"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.hasPrefix("NAME"), "\(table.stdout)")
        #expect(table.stdout.contains(reference), "\(table.stdout)")
        let json = try run(["image", "ls", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let listed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        let entry = try #require(listed?.first)
        #expect(entry["name"] as? String == reference)
        #expect((entry["size"] as? Int ?? 0) > 100_000, "\(entry)")
        #expect((entry["platform"] as? String)?.hasPrefix("linux/") == true, "\(entry)")
        #expect((entry["digest"] as? String)?.hasPrefix("sha256:") == true)

        // tag, inspect, rm.
        let alias = "example.com/berth/alias:v1"
        #expect(try run(["image", "tag", reference, alias]).status == 0)
        let names = try run(["image", "ls", "-q"]).stdout.split(separator: "\n").map(String.init)
        #expect(Set(names) == [reference, alias], "\(names)")
        let inspect = try run(["image", "inspect", "--format", "json", alias])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let inspected = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
        let image = try #require(inspected?.first)
        #expect(image["name"] as? String == alias)
        #expect((image["layers"] as? [Any])?.count == 1, "\(image)")
        #expect(image["config"] is [String: Any], "\(image)")
        let text = try run(["image", "inspect", alias])
        #expect(text.stdout.contains("Layers:      1"), "\(text.stdout)")
        #expect(try run(["image", "rm", alias]).status == 0)
        #expect(try run(["image", "ls", "-q"]).stdout == reference + "\n")

        // export here, import into another namespace (client-side, through Content).
        let archive = daemon.directory.path + "/exported.tar"
        let export = try run(["image", "export", archive, reference])
        #expect(export.status == 0, "\(export.stderr)")
        let imported = try Self.berth(["image", "import", archive], daemon: daemon, namespace: "cli-imported")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == reference + "\n", "\(imported.stdout)")
        let importedCheck = try daemon.ctr(["images", "check"], namespace: "cli-imported")
        #expect(importedCheck.stdout.contains("complete (2/2)"), "\(importedCheck.stdout)")
        #expect(importedCheck.stdout.contains("true"), "unpacked: \(importedCheck.stdout)")
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: "cli-imported").stdout.isEmpty)
        let docker = try run([
            "image", "export", "--format", "docker", daemon.directory.path + "/docker.tar", reference,
        ])
        #expect(docker.status == 0, "\(docker.stderr)")
        let unreadable = try run(["image", "import", daemon.directory.path + "/missing.tar"])
        #expect(unreadable.status == 1, "a local error, not the daemon's: \(unreadable.stderr)")

        // Errors from the daemon: exit status 125 and a clear message.
        let missing = try run(["image", "rm", "no/such:image"])
        #expect(missing.status == 125)
        #expect(missing.stderr.contains("not found"), "\(missing.stderr)")
        let badTag = try run(["pull", "--plain-http", reference.replacingOccurrences(of: ":latest", with: ":nope")])
        #expect(badTag.status == 125)
        #expect(badTag.stderr.contains("not found"), "\(badTag.stderr)")
    }

    @Test func namespacesVersionAndUnreachableDaemon() async throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        func run(_ arguments: [String]) throws -> Output { try Self.berth(arguments, daemon: daemon) }

        #expect(try run(["namespace", "create", "cli-ns", "team=a"]).status == 0)
        let list = try run(["namespace", "ls"])
        #expect(list.stdout.contains("cli-ns"), "\(list.stdout)")
        #expect(list.stdout.contains("team=a"), "\(list.stdout)")
        #expect(try run(["namespace", "rm", "cli-ns"]).status == 0)
        #expect(try !run(["namespace", "ls", "-q"]).stdout.contains("cli-ns"))
        let again = try run(["namespace", "rm", "cli-ns"])
        #expect(again.status == 125, "\(again.stderr)")

        let version = try run(["version"])
        #expect(version.status == 0, "\(version.stderr)")
        #expect(version.stdout.contains("Client:"), "\(version.stdout)")
        #expect(version.stdout.contains("1.6.20"), "\(version.stdout)")
        let json = try run(["version", "--format", "json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((decoded?["server"] as? [String: Any])?["uuid"] is String, "\(json.stdout)")

        let unreachable = try run(["version", "--address", daemon.directory.path + "/nothing.sock"])
        #expect(unreachable.status == 125)
        #expect(unreachable.stderr.contains("cannot connect"), "\(unreachable.stderr)")
    }
}

/// The built CLI.
enum CLIBinary {
    static let path = SchemaValidator.repositoryRoot + "/.build/debug/berth"

    static var unavailableReason: String? {
        if !FileManager.default.isExecutableFile(atPath: path) { return "\(path) not built" }
        return PullFixture.unavailableReason
    }
}
