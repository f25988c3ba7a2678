import BerthArchive
import BerthErrors
import BerthOCI
import BerthSnapshots
import BerthUnpack
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct UnpackTests {
    static let drivers: [LocalSnapshotter.Driver] = [.overlayfs, .native]

    @Test(arguments: drivers)
    func entriesKeepTheirMetadata(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let layer = try TestLayer.make(
                [
                    Py.dir("srv", mode: 0o2750, uid: 33, gid: 44, mtime: 1_200_000_000),
                    Py.file(
                        "srv/tool", "#!/bin/sh\n", mode: 0o4755, uid: 1000, gid: 1001, mtime: 1_234_567_890,
                        xattrs: ["user.origin": "test"]),
                    Py.hardlink("srv/tool-link", "srv/tool"),
                    Py.symlink("srv/current", "tool", uid: 7, gid: 8),
                    Py.dir("srv/sub", mtime: 1_100_000_000),
                    Py.file("srv/sub/late", "written after its directory\n"),
                    Py.file("./dot/relative", "leading ./ is fine\n"),
                    Py.file("deep/implicit/parents", "no directory entries\n"),
                ], in: fixture.scratch, name: "meta", compression: .gzip)
            let result = try await Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
                .unpack([layer.unpackLayer])
            let top = try #require(result.chainID)
            #expect(top == layer.diffID)
            let root = try fixture.snapshotter.layerDirectories(key: top.string, namespace: "default")[0]

            let srv = try FileStatus(root + "/srv")
            #expect(srv.type == S_IFDIR && srv.permissions == 0o2750 && srv.uid == 33 && srv.gid == 44)
            #expect(srv.modificationSeconds == 1_200_000_000)
            #expect(try FileStatus(root + "/srv/sub").modificationSeconds == 1_100_000_000)
            let tool = try FileStatus(root + "/srv/tool")
            #expect(tool.permissions == 0o4755 && tool.uid == 1000 && tool.gid == 1001)
            #expect(tool.modificationSeconds == 1_234_567_890)
            #expect(tool.inode == (try FileStatus(root + "/srv/tool-link")).inode)
            #expect(FileStatus.xattr(root + "/srv/tool", "user.origin") == Array("test".utf8))
            let link = try FileStatus(root + "/srv/current")
            #expect(link.type == S_IFLNK && link.uid == 7 && link.gid == 8)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/srv/current") == "tool")
            #expect(try String(contentsOfFile: root + "/dot/relative", encoding: .utf8) == "leading ./ is fine\n")
            let implicit = try FileStatus(root + "/deep/implicit")
            #expect(implicit.permissions == 0o755 && implicit.uid == 0)
        }
    }

    @Test func nativeAppliesDeletionsAndKeepsSameLayerFilesInOpaqueDirectories() async throws {
        try await SnapshotFixture.with(.native) { fixture in
            let base = try TestLayer.make(
                [Py.dir("d"), Py.file("d/old"), Py.dir("d/olddir"), Py.file("d/olddir/x"), Py.file("rm-me")],
                in: fixture.scratch, name: "base")
            let next = try TestLayer.make(
                [
                    Py.file("d/fresh"), Py.dir("d/newdir"), Py.file("d/newdir/y"), Py.file("d/.wh..wh..opq"),
                    Py.file(".wh.rm-me"),
                ],
                in: fixture.scratch, name: "next")
            let result = try await Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
                .unpack([base.unpackLayer, next.unpackLayer])
            let root = try fixture.snapshotter.layerDirectories(
                key: try #require(result.chainID).string, namespace: "default")[0]
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/d").sorted() == ["fresh", "newdir"])
            #expect(!FileManager.default.fileExists(atPath: root + "/rm-me"))
        }
    }

    @Test(arguments: drivers)
    func layersStreamFromChannelsWhileTheyDownload(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let layers = try MergedViewTests.layers(in: fixture.scratch)
            let channels = layers.map { _ in ByteChannel(capacity: 64 * 1024) }
            let unpacker = Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
            async let unpacked = unpacker.unpack(
                zip(layers, channels).map { UnpackLayer(descriptor: $0.descriptor, diffID: $0.diffID, channel: $1) })
            // A "download": each layer arrives in small chunks, interleaved.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (layer, channel) in zip(layers, channels) {
                    group.addTask {
                        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: layer.path)))
                        var offset = 0
                        while offset < bytes.count {
                            let end = min(bytes.count, offset + 1000)
                            try await channel.send(Array(bytes[offset..<end]))
                            offset = end
                            await Task.yield()
                        }
                        channel.finish()
                    }
                }
                try await group.waitForAll()
            }
            let result = try await unpacked
            #expect(result.applied.compactMap { $0 }.count == 3)
            let view = try fixture.snapshotter.prepare(key: "c", parent: try #require(result.chainID).string)
            let rootfs = try fixture.makeDirectory("rootfs")
            try view.mount(at: rootfs)
            defer { try? Mount.unmountAll(rootfs, detach: true) }
            try MergedViewTests.expectMergedView(rootfs, driver: driver)
            try Mount.unmount(rootfs)
        }
    }

    @Test func failingLayerClosesTheOtherChannels() async throws {
        try await SnapshotFixture.with(.overlayfs) { fixture in
            let good = try TestLayer.make([Py.file("a")], in: fixture.scratch, name: "good")
            let bad = try TestLayer.make([Py.file("../../../../canary/x")], in: fixture.scratch, name: "bad")
            let slow = ByteChannel(capacity: 1024)
            let unpacker = Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
            let layers = [
                bad.unpackLayer,
                UnpackLayer(descriptor: good.descriptor, diffID: good.diffID, channel: slow),
            ]
            async let unpacked = unpacker.unpack(layers)
            // The producer of the second layer never finishes; the failure of
            // the first must close its channel so this send fails.
            let producer = Task {
                while true {
                    try await slow.send([UInt8](repeating: 0, count: 512))
                }
            }
            do {
                _ = try await unpacked
                Issue.record("unpack succeeded")
            } catch let error as UnpackError {
                #expect(error.layer == bad.descriptor.digest)
            }
            let outcome = await producer.result
            #expect(throws: ArchiveError.self) { try outcome.get() }
            #expect(try fixture.snapshotter.list(namespace: "default").isEmpty)
        }
    }

    @Test func stalledDownloadDoesNotHangAFailedUnpack() async throws {
        try await SnapshotFixture.with(.overlayfs) { fixture in
            let bad = try TestLayer.make([Py.file("/etc/shadow")], in: fixture.scratch, name: "bad")
            let good = try TestLayer.make([Py.file("a")], in: fixture.scratch, name: "good")
            let stalled = ByteChannel()  // its producer never sends nor finishes
            let unpacker = Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
            do {
                _ = try await unpacker.unpack([
                    UnpackLayer(descriptor: good.descriptor, diffID: good.diffID, channel: stalled), bad.unpackLayer,
                ])
                Issue.record("unpack succeeded")
            } catch let error as UnpackError {
                #expect(error.layer == bad.descriptor.digest)
                #expect(error.entry == "/etc/shadow")
            }
            await #expect(throws: ArchiveError.self) { try await stalled.send([1]) }
            #expect(try fixture.snapshotter.list(namespace: "default").isEmpty)
        }
    }

    @Test(arguments: drivers)
    func existingChainsAreSkipped(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let layers = try MergedViewTests.layers(in: fixture.scratch)
            let unpacker = Unpacker(
                snapshotter: fixture.snapshotter, logger: .snapshotTest, options: .init(maxConcurrentLayers: 1))
            let first = try await unpacker.unpack(Array(layers.prefix(2)).map(\.unpackLayer))
            #expect(first.applied.allSatisfy { $0 != nil })
            let second = try await unpacker.unpack(layers.map(\.unpackLayer))
            #expect(second.applied.map { $0 != nil } == [false, false, true])
            let third = try await unpacker.unpack(layers.map(\.unpackLayer))
            #expect(third.applied.allSatisfy { $0 == nil })
            #expect(third.chainID == second.chainID)
            #expect(try fixture.snapshotter.list(namespace: "default").count == 3)
        }
    }

    @Test func applyIntoAnActiveSnapshotVerifiesTheDiffID() async throws {
        try await SnapshotFixture.with(.overlayfs) { fixture in
            let layers = try MergedViewTests.layers(in: fixture.scratch)
            let unpacker = Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
            let base = try await unpacker.unpack([layers[0].unpackLayer])
            _ = try fixture.snapshotter.prepare(key: "apply", parent: try #require(base.chainID).string)
            let applied = try await unpacker.apply(layers[1].unpackLayer, toActive: "apply")
            #expect(applied.diffID == layers[1].diffID)
            #expect(applied.compression == .zstd)
            let target = try fixture.snapshotter.diffTarget(key: "apply", namespace: "default")
            #expect(try FileStatus(target.directory + "/tmp").permissions == 0o1777)
            _ = try fixture.snapshotter.prepare(key: "wrong", parent: try #require(base.chainID).string)
            await #expect(throws: UnpackError.self) {
                _ = try await unpacker.apply(layers[2].claiming(diffID: layers[0].diffID), toActive: "wrong")
            }
        }
    }
}
