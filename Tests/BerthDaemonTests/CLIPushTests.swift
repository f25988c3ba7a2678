import BerthTestSupport
import Foundation
import Testing

/// `berth push` against real loopback registries: the image read through
/// berthd's Content service and uploaded from the CLI, then pulled back into
/// a fresh namespace with `berth pull`, digests compared.
@Suite(.enabled(if: CLIBinary.unavailableReason == nil, "berth, berthd, ctr, docker-registry or skopeo unavailable"))
struct CLIPushTests {
    /// bcrypt of "berth-secret" for user "berth" (cost 5), as docker-registry's htpasswd wants it.
    static let htpasswd = "berth:$2b$05$MkhUd.gt4M5J/0WrbVmxEeNSeoyYlWo8NfpNcHdZ/Rlq6pAxISR9u\n"

    /// The target digest of `name` in `namespace`, from `berth image ls --format json`.
    static func digest(_ name: String, daemon: DaemonHarness, namespace: String) throws -> String? {
        let json = try CLIImageTests.berth(["image", "ls", "--format", "json"], daemon: daemon, namespace: namespace)
        let listed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        return listed?.first { $0["name"] as? String == name }?["digest"] as? String
    }

    @Test func pushToAnotherRepositoryAndRegistryThenPullBack() async throws {
        let fixture = try await PullFixture.start()
        defer { fixture.stop() }
        let daemon = fixture.daemon
        let ns = "cli-push"
        let source = try fixture.pushBusybox(as: "berth/busybox:latest")
        func run(_ arguments: [String], namespace: String = ns) throws -> CLIImageTests.Output {
            try CLIImageTests.berth(arguments, daemon: daemon, namespace: namespace)
        }
        let pull = try run(["pull", "--plain-http", "-q", source])
        #expect(pull.status == 0, "\(pull.stderr)\n\(daemon.log())")
        let original = try #require(try Self.digest(source, daemon: daemon, namespace: ns))

        // Another repository of the same registry, tagged first (push REF).
        let copy = "\(fixture.registry.host)/berth/copy:v2"
        #expect(try run(["image", "tag", source, copy]).status == 0)
        let pushed = try run(["push", "--plain-http", copy])
        #expect(pushed.status == 0, "\(pushed.stderr)\n\(fixture.registry.log)")
        let lines = pushed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last == "\(copy): \(original)", "\(pushed.stdout)")
        #expect(lines.contains { $0.contains("  manifest ") }, "\(pushed.stdout)")
        // Per-blob lines (config and layer): mounted from berth/busybox, or pushed.
        #expect(lines.filter { $0.contains("  mounted ") || $0.contains("  pushed ") }.count == 2, "\(pushed.stdout)")
        #expect(!pushed.stdout.contains("\u{1B}"), "no terminal escapes when piped")
        let back = try run(["pull", "--plain-http", "-q", copy], namespace: "cli-push-back")
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try Self.digest(copy, daemon: daemon, namespace: "cli-push-back") == original)

        // A second registry with htpasswd auth: real uploads, in chunks (push REF LOCAL, -u).
        let auth = try TemporaryDirectory(prefix: "berth-htpasswd")
        defer { auth.remove() }
        try Self.htpasswd.write(toFile: auth.path + "/htpasswd", atomically: true, encoding: .utf8)
        let secured = try await RegistryFixture.start(auth: .htpasswd(path: auth.path + "/htpasswd"))
        defer { secured.stop() }
        let remote = "\(secured.host)/team/busybox:v3"
        let denied = try run(["push", "--plain-http", remote, source])
        #expect(denied.status == 1, "a registry error is local: \(denied.stderr)")
        #expect(!denied.stderr.isEmpty)
        let uploaded = try run([
            "push", "--plain-http", "-u", "berth:berth-secret", "--chunk-size", "65536", remote, source,
        ])
        #expect(uploaded.status == 0, "\(uploaded.stderr)\n\(secured.log)")
        #expect(uploaded.stdout.contains("  uploading "), "\(uploaded.stdout)")
        #expect(
            uploaded.stdout.split(separator: "\n").filter { $0.contains("  pushed ") }.count == 2, "\(uploaded.stdout)")
        let again = try run(["push", "--plain-http", "-u", "berth:berth-secret", remote, source])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.split(separator: "\n").filter { $0.contains("  exists ") }.count == 2, "\(again.stdout)")
        let fresh = "cli-push-secured"
        let securedPull = try run(["pull", "--plain-http", "-u", "berth:berth-secret", "-q", remote], namespace: fresh)
        #expect(securedPull.status == 0, "\(securedPull.stderr)")
        #expect(try Self.digest(remote, daemon: daemon, namespace: fresh) == original)
        let check = try daemon.ctr(["images", "check"], namespace: fresh)
        #expect(check.stdout.contains("complete (2/2)"), "\(check.stdout)")

        // Nothing to push: exit 125 (the daemon's not found).
        let missing = try run(["push", "--plain-http", "\(fixture.registry.host)/no/such:image"])
        #expect(missing.status == 125, "\(missing.stderr)")
        #expect(missing.stderr.contains("not found"), "\(missing.stderr)")
    }
}
