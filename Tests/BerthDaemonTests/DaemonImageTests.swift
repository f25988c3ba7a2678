import BerthTestSupport
import Foundation
import Testing

/// Images, content, snapshots and leases through Debian's ctr against a
/// real berthd: import (client-side Content.Write, then unpack through
/// Snapshots.Prepare → Diff.Apply → Commit), ls, check, export, rm with
/// synchronous GC.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonImageTests {
    static let imageName = "localhost/berth/busybox:latest"

    /// Builds the test image archive (hack/make-test-image.sh) into the harness dir.
    static func makeArchive(in daemon: DaemonHarness) throws -> String {
        let out = daemon.directory.path + "/image"
        let result = try CommandResult.run(
            "/bin/bash", [SchemaValidator.repositoryRoot + "/hack/make-test-image.sh", out])
        guard result.status == 0 else { throw HarnessError("make-test-image: \(result.stderr)") }
        return out + "/busybox.oci.tar"
    }

    /// Import unpacks into overlay snapshots; ls/check/export see the
    /// image; rm --sync collects its blobs and snapshots; the namespace can
    /// only be removed once empty.
    @Test func importListCheckExportRemove() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let archive = try Self.makeArchive(in: daemon)
        let ns = "imgtest"

        let imported = try daemon.ctr(["images", "import", archive], namespace: ns)
        #expect(imported.status == 0, "\(imported.stderr)\n\(daemon.log())")

        let list = try daemon.ctr(["images", "ls"], namespace: ns)
        #expect(list.stdout.contains(Self.imageName), "\(list.stdout)")
        #expect(list.stdout.contains("linux/amd64") || list.stdout.contains("linux/"), "\(list.stdout)")

        let check = try daemon.ctr(["images", "check"], namespace: ns)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("complete (2/2)"), "\(check.stdout)")
        #expect(check.stdout.contains("true"), "unpacked: \(check.stdout)")

        let content = try daemon.ctr(["content", "ls", "-q"], namespace: ns)
        #expect(content.stdout.split(separator: "\n").count == 4, "\(content.stdout)")

        let snapshots = try daemon.ctr(["snapshots", "ls"], namespace: ns)
        #expect(snapshots.stdout.contains("Committed"), "\(snapshots.stdout)")
        let chain = try #require(snapshots.stdout.split(separator: "\n").dropFirst().first?.split(separator: " ").first)
        let info = try daemon.ctr(["snapshots", "info", String(chain)], namespace: ns)
        #expect(info.stdout.contains("\"Kind\": \"Committed\""), "\(info.stdout)")
        #expect(try daemon.ctr(["snapshots", "tree"], namespace: ns).stdout.contains(String(chain)))

        let exported = daemon.directory.path + "/export.tar"
        let export = try daemon.ctr(["images", "export", exported, Self.imageName], namespace: ns)
        #expect(export.status == 0, "\(export.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: exported)[.size] as? Int) ?? 0
        #expect(size > 1_000_000)

        let busy = try daemon.ctr(["namespaces", "rm", ns])
        #expect(busy.status != 0)
        #expect(busy.stderr.contains("must be empty"), "\(busy.stderr)")

        let remove = try daemon.ctr(["images", "rm", "--sync", Self.imageName], namespace: ns)
        #expect(remove.status == 0, "\(remove.stderr)")
        #expect(try daemon.ctr(["images", "ls", "-q"], namespace: ns).stdout.isEmpty)
        #expect(try daemon.ctr(["content", "ls", "-q"], namespace: ns).stdout.isEmpty)
        #expect(try daemon.ctr(["snapshots", "ls"], namespace: ns).stdout.split(separator: "\n").count == 1)
        #expect(try daemon.ctr(["namespaces", "rm", ns]).status == 0)

        // Removing an unknown image is a warning and rc 0 in ctr.
        #expect(try daemon.ctr(["images", "rm", "nope:latest"], namespace: ns).status == 0)
    }

    /// `ctr images push` then `ctr images pull --plain-http` against a
    /// loopback docker-registry (Debian's), into a fresh namespace: the
    /// pull path (lease, Content.Write, Images.Create, unpack) end to end.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry")))
    func pushAndPullThroughLoopbackRegistry() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let port = 36000 + Int(getpid() % 2000)
        let config = daemon.directory.path + "/registry.yml"
        try """
        version: 0.1
        storage:
          filesystem:
            rootdirectory: \(daemon.directory.path)/registry
        http:
          addr: 127.0.0.1:\(port)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let registry = try StreamingCommand("/usr/bin/docker-registry", ["serve", config])
        defer { registry.stop() }
        #expect(registry.waitForLine(containing: "listening on") != nil, "\(registry.text)")

        let archive = try Self.makeArchive(in: daemon)
        #expect(try daemon.ctr(["images", "import", "--no-unpack", archive]).status == 0)
        let remote = "127.0.0.1:\(port)/berth/busybox:latest"
        #expect(try daemon.ctr(["images", "tag", Self.imageName, remote]).status == 0)
        let push = try daemon.ctr(["images", "push", "--plain-http", remote])
        #expect(push.status == 0, "\(push.stderr)")

        let pull = try daemon.ctr(["images", "pull", "--plain-http", remote], namespace: "pulled")
        #expect(pull.status == 0, "\(pull.stderr)\n\(daemon.log())")
        let check = try daemon.ctr(["images", "check"], namespace: "pulled")
        #expect(check.stdout.contains("complete (2/2)"), "\(check.stdout)")
        #expect(check.stdout.contains("true"), "unpacked: \(check.stdout)")
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: "pulled").stdout.isEmpty)
    }

    /// Content ingest/get/label/rm, and snapshot prepare/mounts/rm, by hand.
    @Test func contentAndSnapshotsByHand() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let ingest = try daemon.ctr(["content", "ingest", "hand-ref"], stdin: Data("hello berth\n".utf8))
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let digest = try daemon.ctr(["content", "ls", "-q"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.hasPrefix("sha256:"))
        #expect(try daemon.ctr(["content", "get", digest]).stdout == "hello berth\n")
        #expect(try daemon.ctr(["content", "label", digest, "team=a"]).status == 0)
        #expect(try daemon.ctr(["content", "ls"]).stdout.contains("team=a"))
        #expect(try daemon.ctr(["content", "rm", digest]).status == 0)
        #expect(try daemon.ctr(["content", "ls", "-q"]).stdout.isEmpty)
        #expect(try daemon.ctr(["content", "get", digest]).status != 0)

        #expect(try daemon.ctr(["snapshots", "prepare", "scratch"]).status == 0)
        let mounts = try daemon.ctr(["snapshots", "mounts", "/mnt", "scratch"])
        #expect(mounts.stdout.contains(daemon.root), "\(mounts.stdout)")
        let duplicate = try daemon.ctr(["snapshots", "prepare", "scratch"])
        #expect(duplicate.stderr.contains("already exists"), "\(duplicate.stderr)")
        #expect(try daemon.ctr(["snapshots", "rm", "scratch"]).status == 0)
        #expect(try daemon.ctr(["snapshots", "info", "scratch"]).status != 0)
    }

    /// Leases: create (id echoed, expiry label), ls, rm, and rm of an
    /// unknown lease fails.
    @Test func leases() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let create = try daemon.ctr(["leases", "create", "--id", "my-lease", "owner=test"])
        #expect(create.stdout == "my-lease\n", "\(create.stderr)")
        let list = try daemon.ctr(["leases", "ls"])
        #expect(list.stdout.contains("my-lease"))
        #expect(list.stdout.contains("owner=test"))
        #expect(list.stdout.contains("containerd.io/gc.expire="))
        #expect(try daemon.ctr(["leases", "rm", "my-lease"]).status == 0)
        #expect(try daemon.ctr(["leases", "ls", "-q"]).stdout.isEmpty)
        #expect(try daemon.ctr(["leases", "rm", "my-lease"]).status != 0)
    }
}
