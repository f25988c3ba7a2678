import BerthArchive
import BerthOCI
import BerthSnapshots
import BerthUnpack
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A three-layer image unpacked, then mounted as a consumer would mount it
/// and listed: whiteouts, opaque directories, implicit parents and every
/// file type are checked in the merged view.
@Suite struct MergedViewTests {
    static func layers(in directory: String) throws -> [TestLayer] {
        let base = try TestLayer.make(
            [
                Py.dir("etc", mode: 0o755, mtime: 1_400_000_000),
                Py.file("etc/a", "a from layer 1\n"),
                Py.file("etc/b", "b\n"),
                Py.dir("keep"), Py.file("keep/x", "x\n"),
                Py.dir("opq"), Py.file("opq/old1"), Py.file("opq/old2"),
                Py.dir("gone"), Py.file("gone/inner"),
                Py.dir("tmp", mode: 0o1777, uid: 0, gid: 0, mtime: 1_300_000_000),
                Py.dir("home", mode: 0o750, uid: 1000, gid: 1000),
                Py.symlink("bin", "usr/bin"),
            ], in: directory, name: "base", compression: .gzip)
        let middle = try TestLayer.make(
            [
                Py.file("etc/.wh.a"),
                Py.file("opq/.wh..wh..opq"), Py.file("opq/new", "new\n"),
                Py.file(".wh.gone"),
                Py.file("tmp/t2", "t2\n"),
                Py.file("home/user-file", "mine\n", mode: 0o600, uid: 1000, gid: 1000),
                Py.dir("l2"), Py.file("l2/f", "linked\n"), Py.hardlink("l2/g", "l2/f"),
                Py.dir("bin"), Py.file("bin/tool", "#!/bin/sh\n", mode: 0o755),
            ], in: directory, name: "middle", compression: .zstd)
        let top = try TestLayer.make(
            [
                Py.file("etc/a", "a from layer 3\n"),
                Py.symlink("link", "etc/b"),
                Py.dir("dev"), Py.char("dev/null", major: 1, minor: 3),
                Py.dir("run"), Py.fifo("run/fifo"),
                Py.file("etc/.wh.b"),
            ], in: directory, name: "top", compression: .none)
        return [base, middle, top]
    }

    /// Checks the merged tree rooted at `root`.
    static func expectMergedView(_ root: String, driver: LocalSnapshotter.Driver) throws {
        let manager = FileManager.default
        #expect(
            try manager.contentsOfDirectory(atPath: root).sorted() == [
                "bin", "dev", "etc", "home", "keep", "l2", "link", "opq", "run", "tmp",
            ])
        #expect(try manager.contentsOfDirectory(atPath: root + "/etc") == ["a"])
        #expect(try String(contentsOfFile: root + "/etc/a", encoding: .utf8) == "a from layer 3\n")
        #expect(try manager.contentsOfDirectory(atPath: root + "/opq") == ["new"])
        #expect(!manager.fileExists(atPath: root + "/gone"))
        #expect(try manager.contentsOfDirectory(atPath: root + "/keep") == ["x"])
        #expect(try manager.contentsOfDirectory(atPath: root + "/tmp") == ["t2"])
        // tmp was not in the middle layer: its implicit parent took the lower mode (and, in an overlay upper
        // directory, the lower times, as a copy-up does).
        let tmp = try FileStatus(root + "/tmp")
        #expect(tmp.permissions == 0o1777)
        if driver == .overlayfs {
            #expect(tmp.modificationSeconds == 1_300_000_000)
            #expect(try FileStatus(root + "/etc").modificationSeconds == 1_400_000_000)
        }
        let home = try FileStatus(root + "/home")
        #expect(home.permissions == 0o750 && home.uid == 1000 && home.gid == 1000)
        let userFile = try FileStatus(root + "/home/user-file")
        #expect(userFile.permissions == 0o600 && userFile.uid == 1000)
        #expect(try FileStatus(root + "/l2/f").inode == FileStatus(root + "/l2/g").inode)
        // The middle layer replaced the bin symlink with a directory.
        #expect(try FileStatus(root + "/bin").type == S_IFDIR)
        #expect(try manager.contentsOfDirectory(atPath: root + "/bin") == ["tool"])
        #expect(try manager.destinationOfSymbolicLink(atPath: root + "/link") == "etc/b")
        let null = try FileStatus(root + "/dev/null")
        #expect(null.type == S_IFCHR && null.major == 1 && null.minor == 3)
        #expect(try FileStatus(root + "/run/fifo").type == S_IFIFO)
    }

    @Test func overlayChainMountsAndLists() async throws {
        try await SnapshotFixture.with(.overlayfs) { fixture in
            let layers = try Self.layers(in: fixture.scratch)
            let unpacker = Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
            let result = try await unpacker.unpack(layers.map(\.unpackLayer))
            #expect(result.chainIDs == Digest.chainIDs(diffIDs: layers.map(\.diffID)))
            #expect(result.applied.map { $0?.diffID } == layers.map(\.diffID))
            #expect(result.applied.map { $0?.compression } == [.gzip, .zstd, TarReader.Compression.none])
            let top = try #require(result.chainID).string
            let committed = try fixture.snapshotter.list(filters: ["kind==committed"], namespace: "default")
            #expect(committed.count == 3)
            #expect(try fixture.snapshotter.stat(key: top).parent == result.chainIDs[1].string)

            // The upper dirs hold overlay whiteouts and the opaque xattr.
            let dirs = try fixture.snapshotter.layerDirectories(key: result.chainIDs[1].string, namespace: "default")
            let whiteout = try FileStatus(dirs[0] + "/etc/a")
            #expect(whiteout.type == S_IFCHR && whiteout.major == 0 && whiteout.minor == 0)
            #expect(FileStatus.xattr(dirs[0] + "/opq", "trusted.overlay.opaque") == [UInt8(ascii: "y")])

            // A read-only view of the chain: overlay with three lowerdirs.
            let viewMounts = try fixture.snapshotter.view(key: "view", parent: top)
            #expect(viewMounts[0].type == "overlay")
            let view = try fixture.makeDirectory("view")
            try viewMounts.mount(at: view)
            defer { try? Mount.unmountAll(view, detach: true) }
            try Self.expectMergedView(view, driver: .overlayfs)
            #expect(!FileManager.default.createFile(atPath: view + "/denied", contents: nil))
            try Mount.unmount(view)

            // A container's writable snapshot: writes land in its upper dir.
            let activeMounts = try fixture.snapshotter.prepare(key: "container", parent: top)
            let rootfs = try fixture.makeDirectory("rootfs")
            try activeMounts.mount(at: rootfs)
            defer { try? Mount.unmountAll(rootfs, detach: true) }
            try Self.expectMergedView(rootfs, driver: .overlayfs)
            try "written".write(toFile: rootfs + "/keep/new", atomically: false, encoding: .utf8)
            try FileManager.default.removeItem(atPath: rootfs + "/keep/x")
            try Mount.unmount(rootfs)
            let upper = try #require(activeMounts[0].option("upperdir"))
            #expect(try String(contentsOfFile: upper + "/keep/new", encoding: .utf8) == "written")
            #expect(try FileStatus(upper + "/keep/x").type == S_IFCHR)
        }
    }

    /// More layers than fit mount(2)'s one-page option string: mounted
    /// through fsconfig, one `lowerdir+` per layer.
    @Test func deepOverlayChainMounts() async throws {
        try await SnapshotFixture.with(.overlayfs) { fixture in
            let snapshots = fixture.snapshotter
            var parent: String?
            for index in 0..<120 {
                let mounts = try snapshots.prepare(key: "active-\(index)", parent: parent)
                let upper = mounts[0].option("upperdir") ?? mounts[0].source
                try "\(index)".write(toFile: upper + "/layer-\(index)", atomically: false, encoding: .utf8)
                try snapshots.commit(name: "layer-\(index)", key: "active-\(index)")
                parent = "layer-\(index)"
            }
            let mounts = try snapshots.prepare(key: "deep", parent: parent)
            #expect(mounts[0].options.joined(separator: ",").utf8.count > 4096)
            let rootfs = try fixture.makeDirectory("deep")
            try mounts.mount(at: rootfs)
            defer { try? Mount.unmountAll(rootfs, detach: true) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: rootfs).count == 120)
            #expect(try String(contentsOfFile: rootfs + "/layer-0", encoding: .utf8) == "0")
            try "top".write(toFile: rootfs + "/written", atomically: false, encoding: .utf8)
            try Mount.unmount(rootfs)
            let upper = try #require(mounts[0].option("upperdir"))
            #expect(FileManager.default.fileExists(atPath: upper + "/written"))
        }
    }

    @Test func nativeChainBindMountsAndLists() async throws {
        try await SnapshotFixture.with(.native) { fixture in
            let layers = try Self.layers(in: fixture.scratch)
            let unpacker = Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
            let result = try await unpacker.unpack(layers.map(\.unpackLayer))
            let top = try #require(result.chainID).string
            #expect(try fixture.snapshotter.list(filters: ["kind==committed"], namespace: "default").count == 3)
            let mounts = try fixture.snapshotter.prepare(key: "container", parent: top)
            #expect(mounts[0].type == "bind")
            let rootfs = try fixture.makeDirectory("rootfs")
            try mounts.mount(at: rootfs)
            defer { try? Mount.unmountAll(rootfs, detach: true) }
            try Self.expectMergedView(rootfs, driver: .native)
            try Mount.unmount(rootfs)
        }
    }
}
