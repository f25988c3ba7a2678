import BerthAPI
import BerthShimProto
import BerthTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

/// `Diff.Diff` through Debian's ctr: two snapshots filled through their
/// mounts, `ctr snapshots diff` between them, and the blob applied with
/// `Diff.Apply` onto the lower snapshot gives the upper one back.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonDiffTests {
    /// The lower snapshot's files.
    static let base = """
        set -e
        mkdir -p etc/conf.d var/cache share/doc
        echo hello > etc/motd; echo old > etc/conf.d/a; echo keep > etc/conf.d/b
        echo c1 > var/cache/1; echo c2 > var/cache/2; echo doc > share/doc/readme
        echo linked > etc/shared; ln etc/shared etc/shared-too
        ln -s motd etc/motd.link
        chown 1000:1000 share/doc/readme; chmod 0640 share/doc/readme
        """
    /// The upper snapshot's changes: add, modify, delete a file and a
    /// directory, empty a directory (opaque), a symlink, hardlinks, a device.
    static let changes = """
        set -e
        echo world >> etc/motd
        rm etc/conf.d/a; echo new > etc/conf.d/c
        rm -r share/doc
        rm var/cache/1 var/cache/2; echo fresh > var/cache/3
        ln -s ../etc/motd var/motd
        echo bin > bin; ln bin bin-link
        mknod null c 1 3
        chmod 4755 bin
        """

    @Test func ctrSnapshotsDiffRoundTripsThroughApply() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let work = daemon.directory.path + "/work"
        try FileManager.default.createDirectory(atPath: work + "/mnt", withIntermediateDirectories: true)
        defer {
            try? Self.shell("umount -R mnt 2>/dev/null; true", in: work)
            daemon.cleanup()
        }
        let ns = "diff"
        try Self.fill(daemon, key: "base", parent: nil, script: Self.base, commit: "base-c", ns: ns, work: work)
        try Self.fill(daemon, key: "top", parent: "base-c", script: Self.changes, commit: "top-c", ns: ns, work: work)

        // The default media type is gzip; the plain tar is the same layer.
        let gzipped = try Self.diff(daemon, ["--keep", "--label", "made-by=test", "top-c"], ns: ns, work: work)
        let plain = try Self.diff(
            daemon, ["--media-type", "application/vnd.oci.image.layer.v1.tar", "base-c", "top-c"], ns: ns,
            work: work)
        #expect(gzipped.prefix(2) == Data([0x1F, 0x8B]))
        // The same trees give the same blob, which is already there.
        #expect(try Self.diff(daemon, ["top-c"], ns: ns, work: work) == gzipped)
        try Self.shell("gzip -dc gz > gunzipped", in: work)
        let gunzipped = try Data(contentsOf: URL(fileURLWithPath: work + "/gunzipped"))
        #expect(gunzipped == plain, "gzip and tar diffs carry the same tar")
        let listing = try Self.shell("tar -tvf plain", in: work)
        for name in [
            "etc/motd", "etc/conf.d/.wh.a", "etc/conf.d/c", "share/.wh.doc", "var/cache/.wh..wh..opq",
            "var/cache/3", "var/motd -> ../etc/motd", "bin-link link to bin", "null",
        ] {
            #expect(listing.contains(name), "\(name) in \(listing)")
        }
        #expect(!listing.contains("etc/shared"), "unchanged files stay out: \(listing)")

        let digest = "sha256:" + (try Self.shell("sha256sum gz", in: work).prefix(64))
        let diffID = "sha256:" + (try Self.shell("sha256sum plain", in: work).prefix(64))
        let content = try daemon.ctr(["content", "ls"], namespace: ns).stdout
        let line = try #require(content.split(separator: "\n").first { $0.hasPrefix(digest) }, "\(content)")
        #expect(line.contains("containerd.io/uncompressed=\(diffID)"), "\(line)")
        #expect(line.contains("made-by=test") && line.contains("containerd.io/gc.root="), "\(line)")
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: ns).stdout.isEmpty, "ctr's lease is gone")

        // Apply the blob onto a new snapshot of base-c, then compare the trees.
        #expect(try daemon.ctr(["snapshots", "prepare", "check", "base-c"], namespace: ns).status == 0)
        let applied = try await Self.apply(daemon, digest: digest, size: Int64(gzipped.count), key: "check", ns: ns)
        #expect(applied.digest == diffID)
        #expect(applied.size == Int64(plain.count))
        #expect(try daemon.ctr(["snapshots", "commit", "check-c", "check"], namespace: ns).status == 0)
        let expected = try Self.tree(daemon, of: "top-c", ns: ns, work: work)
        let actual = try Self.tree(daemon, of: "check-c", ns: ns, work: work)
        #expect(actual == expected)
        #expect(expected.contains("./bin-link f 4755 0 0 4 2"), "\(expected)")

        // An unsupported media type is NotImplemented; nothing is left mounted.
        let zip = try daemon.ctr(["snapshots", "diff", "--media-type", "application/zip", "top-c"], namespace: ns)
        #expect(zip.status != 0 && zip.stderr.contains("not implemented"), "\(zip.stderr)")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(daemon.root + "/tmpmounts"), "temporary mounts are gone")
    }

    @Test func startUpRemovesStaleDiffMounts() throws {
        let daemon = try DaemonHarness()
        defer {
            try? Self.shell("umount -l root/tmpmounts/mount-stale 2>/dev/null; true", in: daemon.directory.path)
            daemon.cleanup()
        }
        // What a daemon killed during Diff leaves: a read-only mount below tmpmounts.
        try Self.shell(
            "mkdir -p src root/tmpmounts/mount-stale && echo x > src/f && mount --bind -o ro src root/tmpmounts/mount-stale",
            in: daemon.directory.path)
        try daemon.start()
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(daemon.root + "/tmpmounts/mount-stale"), "unmounted")
        #expect(!FileManager.default.fileExists(atPath: daemon.root + "/tmpmounts/mount-stale"), "removed")
        #expect(
            FileManager.default.fileExists(atPath: daemon.directory.path + "/src/f"), "the mounted tree is untouched")
    }

    // MARK: - Helpers

    /// Prepares `key`, runs `script` in its mount, unmounts and commits it.
    static func fill(
        _ daemon: DaemonHarness, key: String, parent: String?, script: String, commit: String, ns: String,
        work: String
    ) throws {
        let prepare = try daemon.ctr(["snapshots", "prepare", key] + (parent.map { [$0] } ?? []), namespace: ns)
        guard prepare.status == 0 else { throw HarnessError("prepare \(key): \(prepare.stderr)") }
        let mount = try daemon.ctr(["snapshots", "mounts", work + "/mnt", key], namespace: ns)
        guard mount.status == 0 else { throw HarnessError("mounts \(key): \(mount.stderr)") }
        try shell(mount.stdout, in: work)
        do {
            try shell(script, in: work + "/mnt")
        } catch {
            try? shell("umount mnt", in: work)
            throw error
        }
        try shell("umount mnt", in: work)
        let result = try daemon.ctr(["snapshots", "commit", commit, key], namespace: ns)
        guard result.status == 0 else { throw HarnessError("commit \(key): \(result.stderr)") }
    }

    /// `ctr snapshots diff ARGS` into `work/gz` (gzip) or `work/plain`.
    static func diff(_ daemon: DaemonHarness, _ arguments: [String], ns: String, work: String) throws -> Data {
        let file = arguments.contains("--media-type") ? "plain" : "gz"
        try shell(
            "'\(DaemonHarness.ctr)' --address '\(daemon.address)' --namespace \(ns) snapshots diff "
                + arguments.map { "'\($0)'" }.joined(separator: " ") + " > \(file)", in: work)
        return try Data(contentsOf: URL(fileURLWithPath: work + "/" + file))
    }

    /// One line per file of a committed snapshot (through a view): type,
    /// mode, owner, size, link count, whole-second mtime of non-directories,
    /// symlink target, and content hash.
    static func tree(_ daemon: DaemonHarness, of name: String, ns: String, work: String) throws -> String {
        let view = name + "-view"
        #expect(try daemon.ctr(["snapshots", "view", view, name], namespace: ns).status == 0)
        let mount = try daemon.ctr(["snapshots", "mounts", work + "/mnt", view], namespace: ns)
        try shell(mount.stdout, in: work)
        defer { try? shell("umount mnt", in: work) }
        return try shell(
            """
            find . -mindepth 1 \\( -type d -printf '%p %y %m %U %G\\n' \\) -o \\( ! -type d -printf '%p %y %m %U %G %s %n %TY%Tm%Td%TH%TM %l\\n' \\) | sort
            find . -type f -exec sha256sum {} + | sort
            """, in: work + "/mnt")
    }

    /// `Diff.Apply` of the blob onto the active snapshot `key`'s mounts.
    static func apply(_ daemon: DaemonHarness, digest: String, size: Int64, key: String, ns: String) async throws
        -> Containerd_Types_Descriptor
    {
        var metadata = Metadata()
        metadata.addString(ns, forKey: "containerd-namespace")
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: daemon.address), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            var mountsRequest = Containerd_Services_Snapshots_V1_MountsRequest()
            mountsRequest.snapshotter = "overlayfs"
            mountsRequest.key = key
            let snapshots = Containerd_Services_Snapshots_V1_Snapshots.Client(wrapping: client)
            var mounts = try? await snapshots.mounts(mountsRequest, metadata: metadata).mounts
            if mounts == nil {
                mountsRequest.snapshotter = "native"
                mounts = try await snapshots.mounts(mountsRequest, metadata: metadata).mounts
            }
            var request = Containerd_Services_Diff_V1_ApplyRequest()
            request.diff.mediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
            request.diff.digest = digest
            request.diff.size = size
            request.mounts = mounts ?? []
            return try await Containerd_Services_Diff_V1_Diff.Client(wrapping: client).apply(
                request, metadata: metadata
            ).applied
        }
    }

    /// Runs `script` with /bin/sh in `directory`; returns stdout.
    @discardableResult
    static func shell(_ script: String, in directory: String) throws -> String {
        let result = try CommandResult.run("/bin/sh", ["-c", "cd '\(directory)' && " + script])
        guard result.status == 0 else {
            throw HarnessError("sh failed (\(result.status)): \(script)\n\(result.stderr)")
        }
        return result.stdout
    }
}
